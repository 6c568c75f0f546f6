using System.Diagnostics;

namespace BitFusion.Tools.Tests;

/// <summary>What the target says about one object it holds: its type and the length of each array it owns.</summary>
internal sealed record TargetObject(string Type, IReadOnlyList<(string Field, string Element, int Length)> Arrays);

/// <summary>A running BitFusion.HeapTarget: started with specs, read until "ready", ended on dispose.</summary>
internal sealed class TargetProcess : IDisposable
{
    private readonly Process _process;

    private TargetProcess(Process process, IReadOnlyList<TargetObject> objects)
    {
        _process = process;
        Objects = objects;
    }

    public int Id => _process.Id;

    public IReadOnlyList<TargetObject> Objects { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The target as a JIT-run .dll (built beside the tests by the project reference).</summary>
    public static TargetProcess StartJit(params string[] specs)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "BitFusion.HeapTarget.dll");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return Start(host, [dll, .. specs]);
    }

    public static TargetProcess StartNative(string executable, params string[] specs) => Start(executable, specs);

    private static TargetProcess Start(string fileName, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var objects = new List<TargetObject>();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task<string?> line = process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60) - deadline.Elapsed) || line.Result is null)
            {
                process.Kill();
                throw new InvalidOperationException($"the target never became ready: {process.StandardError.ReadToEnd()}");
            }
            string[] words = line.Result.Split(' ');
            if (words[0] == "ready") break;
            if (words[0] != "object") continue;
            var arrays = words.Skip(2).Select(w =>
            {
                string[] kv = w.Split('=');
                int open = kv[1].IndexOf('[');
                return (kv[0], kv[1][..open], int.Parse(kv[1][(open + 1)..^1]));
            }).ToList();
            objects.Add(new TargetObject(words[1], arrays));
        }
        return new TargetProcess(process, objects);
    }

    public void WaitForExit() => _process.WaitForExit(10_000);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5_000)) _process.Kill();
        }
        _process.Dispose();
    }
}
