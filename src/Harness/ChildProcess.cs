using System.Diagnostics;

namespace BitFusion.Harness;

/// <summary>
/// One run of a child process: pumps its standard output and error into a <see cref="LineTail"/>, completes
/// <see cref="Ready"/> on its first <c>ready</c> line, and dies with SIGKILL. Every child is killed when the
/// harness's process exits, even if nobody disposed it.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<ReadyLine> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _reencoded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<int> _exited;
    private readonly IDisposable _cleanup;

    private ChildProcess(Process process, string name, LineTail output)
    {
        _process = process;
        Name = name;
        Output = output;
        Pid = process.Id;
        _cleanup = ExitCleanup.Register(KillQuietly);
        Task stdout = PumpAsync(process.StandardOutput, line =>
        {
            if (ReadyLine.IsReady(line)) _ready.TrySetResult(ReadyLine.Parse(line));
            else if (line.StartsWith(ReencodedPrefix, StringComparison.Ordinal)) _reencoded.TrySetResult(line);
        });
        Task stderr = PumpAsync(process.StandardError, null);
        _exited = WatchAsync(stdout, stderr);
    }

    public string Name { get; }

    public int Pid { get; }

    public LineTail Output { get; }

    public bool HasExited => _exited.IsCompleted;

    /// <summary>Completes with the first ready line; faults if the process exits before printing one.</summary>
    public Task<ReadyLine> Ready => _ready.Task;

    /// <summary>The line a backup prints when it first holds every primary (<c>reencoded backup J (node N) reencode_us=…</c>).</summary>
    public const string ReencodedPrefix = "reencoded ";

    /// <summary>Completes with the first <see cref="ReencodedPrefix"/> line; never, from a process that prints none.</summary>
    public Task<string> Reencoded => _reencoded.Task;

    /// <summary>The exit code once the process has exited and its output is drained; 128 + n after signal n.</summary>
    public Task<int> Exited => _exited;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string name, LineTail output)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        output.Add($"[harness] {DateTime.UtcNow:HH:mm:ss.fff} start {name}: {fileName} {string.Join(' ', info.ArgumentList)}");
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ChildProcessException($"{name}: {fileName} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ChildProcessException($"{name}: cannot run {fileName}: {e.Message}");
        }
        return new ChildProcess(process, name, output);
    }

    /// <summary>Waits for the ready line; on timeout the child is killed and the error carries its last output.</summary>
    public async Task<ReadyLine> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        try
        {
            return await _ready.Task.WaitAsync(timeout, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await KillAsync().ConfigureAwait(false);
            throw new ChildProcessException($"{Name} printed no ready line within {timeout.TotalSeconds:0.#} s. Last output:\n{Output.Text(40)}");
        }
    }

    /// <summary>Sends SIGKILL (Process.Kill on Unix is kill(pid, SIGKILL)) without waiting.</summary>
    public void Kill()
    {
        if (_exited.IsCompleted) return;
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited and reaped: nothing to kill.
        }
    }

    /// <summary>SIGKILL, then wait until the process is gone and its output drained; returns the exit code.</summary>
    public async Task<int> KillAsync()
    {
        Kill();
        return await _exited.ConfigureAwait(false);
    }

    private async Task<int> WatchAsync(Task stdout, Task stderr)
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        int code = _process.ExitCode;
        Output.Add($"[harness] {DateTime.UtcNow:HH:mm:ss.fff} {Name} exited with code {code}");
        _ready.TrySetException(new ChildProcessException($"{Name} exited with code {code} before it was ready. Last output:\n{Output.Text(40)}"));
        _cleanup.Dispose();
        return code;
    }

    private async Task PumpAsync(StreamReader reader, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            Output.Add(line);
            onLine?.Invoke(line);
        }
    }

    private void KillQuietly()
    {
        try
        {
            _process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }
}
