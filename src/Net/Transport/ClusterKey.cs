using System.Security.Cryptography;
using System.Text;

namespace BitFusion.Net.Transport;

/// <summary>The shared secret every process of a cluster holds; the handshake proves possession with HMAC-SHA256.</summary>
public sealed class ClusterKey
{
    public const string EnvironmentVariable = "BITFUSION_CLUSTER_KEY";
    public const int MinBytes = 16;

    private readonly byte[] _key;

    public ClusterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinBytes) throw new ArgumentException($"A cluster key needs at least {MinBytes} bytes; got {key.Length}.", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>Parses the text form: hex (32+ digits) or any string of 16+ characters taken as UTF-8.</summary>
    public static ClusterKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length >= 2 * MinBytes && text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
            return new ClusterKey(Convert.FromHexString(text));
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        if (utf8.Length < MinBytes) throw new ArgumentException($"A cluster key needs at least {MinBytes} bytes; got {utf8.Length}.", nameof(text));
        return new ClusterKey(utf8);
    }

    public static ClusterKey Generate() => new(RandomNumberGenerator.GetBytes(32));

    public string ToHex() => Convert.ToHexString(_key).ToLowerInvariant();

    internal void Mac(ReadOnlySpan<byte> message, Span<byte> mac) => HMACSHA256.HashData(_key, message, mac);
}
