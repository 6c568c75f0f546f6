namespace BitFusion.Harness;

/// <summary>
/// The one line a server prints on standard output once it serves, e.g.
/// <c>ready primary 0 (node 1) on 127.0.0.1:7001 rebuilt length=10 seq=12 recovery_us=800</c>:
/// its key=value fields, and its other words (<c>rebuilt</c>, <c>fresh</c>, ...).
/// </summary>
internal sealed class ReadyLine
{
    public const string Prefix = "ready ";

    private ReadyLine(string text, Dictionary<string, string> fields, string[] words)
    {
        Text = text;
        Fields = fields;
        Words = words;
    }

    public string Text { get; }

    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>The tokens that are not key=value, in order, after "ready".</summary>
    public IReadOnlyList<string> Words { get; }

    public static bool IsReady(string line) => line.StartsWith(Prefix, StringComparison.Ordinal);

    public static ReadyLine Parse(string line)
    {
        if (!IsReady(line)) throw new FormatException($"Not a ready line: \"{line}\"");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (string token in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=');
            if (eq > 0) fields[token[..eq]] = token[(eq + 1)..];
            else words.Add(token);
        }
        return new ReadyLine(line, fields, [.. words]);
    }

    public bool Has(string word) => Words.Contains(word);

    public long Int64(string key)
    {
        if (!Fields.TryGetValue(key, out string? value)) throw new KeyNotFoundException($"The ready line has no {key}=: \"{Text}\"");
        if (!long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out long v))
            throw new FormatException($"{key}={value} is not an integer in \"{Text}\"");
        return v;
    }

    public override string ToString() => Text;
}
