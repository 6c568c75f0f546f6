using System.Security.Cryptography;
using System.Text;

namespace BitFusion.Net.Transport;

/// <summary>
/// The secret a process holds, and the per-role keys the handshake MACs with. Nodes hold the cluster key and derive
/// every role's key from it (HKDF-SHA256); clients hold only the client role's key, so whatever a client file leaks,
/// its holder cannot complete a handshake as a primary, backup, manager or data node. When the cluster file turns TLS
/// on, the key also carries the <see cref="Tls"/> credentials, so every dialer and server that is handed a key runs
/// its connections over TLS without another parameter.
/// </summary>
internal sealed class ClusterKey
{
    public const string EnvironmentVariable = "BITFUSION_CLUSTER_KEY";
    public const int MinBytes = 16;
    public const int RoleKeyBytes = 32;

    /// <summary>HKDF salt: versions the derivation, so a later scheme cannot collide with this one.</summary>
    public static ReadOnlySpan<byte> Salt => "BitFusion/role-keys/v1"u8;

    private static readonly NodeRole[] Roles = Enum.GetValues<NodeRole>();

    // Indexed by (byte)role; null for a role this holder may not act as.
    private readonly byte[]?[] _roleKeys = new byte[]?[Roles.Max(r => (int)r) + 1];
    private readonly byte[]? _clusterKey;

    public ClusterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinBytes) throw new ArgumentException($"A cluster key needs at least {MinBytes} bytes; got {key.Length}.", nameof(key));
        _clusterKey = key.ToArray();
        foreach (NodeRole role in Roles) _roleKeys[(int)role] = DeriveRoleKey(key, role);
    }

    private ClusterKey(NodeRole onlyRole, byte[] roleKey) => _roleKeys[(int)onlyRole] = roleKey;

    /// <summary>The CA and certificates for TLS mode; null in plain mode.</summary>
    public TlsCredentials? Tls { get; internal set; }

    /// <summary>True for a client file's key: it authenticates only as <see cref="NodeRole.Client"/>.</summary>
    public bool IsClientOnly => _clusterKey is null;

    /// <summary>Parses the cluster key's text form: hex (32+ digits) or any string of 16+ characters taken as UTF-8.</summary>
    public static ClusterKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length >= 2 * MinBytes && text.Length % 2 == 0 && text.All(Uri.IsHexDigit))
            return new ClusterKey(Convert.FromHexString(text));
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        if (utf8.Length < MinBytes) throw new FormatException($"A cluster key needs at least {MinBytes} bytes; got {utf8.Length}.");
        return new ClusterKey(utf8);
    }

    /// <summary>Parses a client key (the hex a client file holds): exactly <see cref="RoleKeyBytes"/> bytes.</summary>
    public static ClusterKey ParseClientKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length != 2 * RoleKeyBytes || !text.All(Uri.IsHexDigit))
            throw new FormatException($"A client key is {2 * RoleKeyBytes} hex digits; got {text.Length} characters.");
        return new ClusterKey(NodeRole.Client, Convert.FromHexString(text));
    }

    public static ClusterKey Generate() => new((ReadOnlySpan<byte>)RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// HKDF-SHA256 (RFC 5869): extract with <see cref="Salt"/>, expand with info "bitfusion role &lt;n&gt;" where n
    /// is the role's wire number, 32 bytes.
    /// </summary>
    public static byte[] DeriveRoleKey(ReadOnlySpan<byte> clusterKey, NodeRole role)
    {
        Span<byte> info = stackalloc byte[32];
        int n = Encoding.ASCII.GetBytes($"bitfusion role {(byte)role}", info);
        byte[] key = new byte[RoleKeyBytes];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterKey, key, Salt, info[..n]);
        return key;
    }

    /// <summary>What a client file holds: the client role's key alone.</summary>
    public ClusterKey ClientKey() => new(NodeRole.Client, _roleKeys[(int)NodeRole.Client]!) { Tls = Tls?.ForClients() };

    /// <summary>The cluster key in hex, for the cluster file; a client-only holder has none to give.</summary>
    public string ToHex() =>
        Convert.ToHexString(_clusterKey ?? throw new InvalidOperationException("A client key cannot give the cluster key.")).ToLowerInvariant();

    /// <summary>The client role's key in hex, for the client file.</summary>
    public string ClientKeyHex() => Convert.ToHexString(_roleKeys[(int)NodeRole.Client]!).ToLowerInvariant();

    public bool CanActAs(NodeRole role) => (int)role < _roleKeys.Length && _roleKeys[(int)role] is not null;

    internal void Mac(NodeRole role, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        if (!CanActAs(role)) throw new InvalidOperationException($"This key cannot authenticate as a {role}: it is a client key.");
        HMACSHA256.HashData(_roleKeys[(int)role]!, message, mac);
    }
}
