using System.Diagnostics;

namespace FusedListSample;

/// <summary>This program started again in another role, whose report lines the coordinator reads.</summary>
internal sealed class Child(string name, Process process) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Reads report lines until one starts with <paramref name="prefix"/>; fails if the child exits or stalls first.</summary>
    public async Task<string> ExpectAsync(string prefix)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"{name} exited before it reported \"{prefix}\"");
            Console.WriteLine($"  [{name}] {line}");
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
        }
    }

    /// <summary>SIGKILL: the process gets no chance to flush or say goodbye.</summary>
    public async Task KillAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Closes its standard input, which ends it; kills it if it has not exited within a few seconds.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited) return;
        process.StandardInput.Close();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
    }

    public void Dispose() => process.Dispose();
}
