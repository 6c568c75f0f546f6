namespace BitFusion.Harness;

/// <summary>
/// The last lines a child wrote, kept for failure messages, and optionally every line appended to a file.
/// Thread-safe: the output pumps add while a failing test reads.
/// </summary>
internal sealed class LineTail(int capacity = 200, string? filePath = null) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _lines = new();
    private long _total;
    private StreamWriter? _file = filePath is null ? null : new StreamWriter(filePath, append: true) { AutoFlush = true };

    public string? FilePath { get; } = filePath;

    public void Add(string line)
    {
        lock (_gate)
        {
            if (_lines.Count == capacity) _lines.Dequeue();
            _lines.Enqueue(line);
            _total++;
            _file?.WriteLine(line);
        }
    }

    /// <summary>How many lines were ever added; a mark for <see cref="Since"/>.</summary>
    public long Total
    {
        get
        {
            lock (_gate) return _total;
        }
    }

    /// <summary>The lines added after <paramref name="mark"/> (a <see cref="Total"/> read earlier) that are still held.</summary>
    public IReadOnlyList<string> Since(long mark)
    {
        lock (_gate) return _lines.Skip(Math.Max(0, _lines.Count - (int)Math.Min(_total - mark, _lines.Count))).ToArray();
    }

    public IReadOnlyList<string> Lines(int last = int.MaxValue)
    {
        lock (_gate) return _lines.Skip(Math.Max(0, _lines.Count - last)).ToArray();
    }

    public string Text(int last = int.MaxValue) => string.Join('\n', Lines(last));

    public void Dispose()
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }
}
