using System.Diagnostics;

namespace FusedListSample;

/// <summary>The children started so far, stopped in reverse order on dispose.</summary>
internal sealed class Children : IAsyncDisposable
{
    private readonly List<Child> _started = [];

    public Child Start(string name, params object[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's path");
        start.FileName = self;
        // Run as `dotnet FusedListSample.dll`, the child needs the assembly named again; run as the apphost, it does not.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(Children).Assembly.Location);
        foreach (object a in args) start.ArgumentList.Add(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!);
        var child = new Child(name, Process.Start(start)!);
        _started.Add(child);
        return child;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync();
            _started[i].Dispose();
        }
    }
}
