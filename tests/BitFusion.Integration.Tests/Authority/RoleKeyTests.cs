using System.Security.Cryptography;
using System.Text;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>The per-role keys are HKDF-SHA256 of the cluster key, as docs/protocol.md specifies, and a client key is only that.</summary>
public sealed class RoleKeyTests
{
    private static readonly byte[] ClusterKeyBytes = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    /// <summary>RFC 5869 written out with HMAC alone, so the derivation is checked against the spec and not against itself.</summary>
    private static byte[] RfcHkdf(byte[] ikm, byte[] salt, byte[] info, int length)
    {
        byte[] prk = HMACSHA256.HashData(salt, ikm);
        var okm = new List<byte>();
        byte[] t = [];
        for (byte i = 1; okm.Count < length; i++)
        {
            byte[] block = [.. t, .. info, i];
            t = HMACSHA256.HashData(prk, block);
            okm.AddRange(t);
        }
        return okm.Take(length).ToArray();
    }

    [Theory]
    [InlineData(NodeRole.Client)]
    [InlineData(NodeRole.Primary)]
    [InlineData(NodeRole.Backup)]
    [InlineData(NodeRole.Manager)]
    [InlineData(NodeRole.DataNode)]
    public void RoleKeyIsHkdfOfTheClusterKeyWithTheRoleInInfo(object boxed)
    {
        // An object, not the enum: the library keeps the enum internal, and a test method must stay public.
        var role = (NodeRole)boxed;
        byte[] expected = RfcHkdf(ClusterKeyBytes, ClusterKey.Salt.ToArray(), Encoding.ASCII.GetBytes($"bitfusion role {(byte)role}"), 32);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(ClusterKey.DeriveRoleKey(ClusterKeyBytes, role)));
    }

    [Fact]
    public void EveryRoleGetsItsOwnKey()
    {
        string[] keys = Enum.GetValues<NodeRole>().Select(r => Convert.ToHexString(ClusterKey.DeriveRoleKey(ClusterKeyBytes, r))).ToArray();
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.DoesNotContain(Convert.ToHexString(ClusterKeyBytes), keys);
    }

    [Fact]
    public void AClientKeyActsOnlyAsAClientAndCannotGiveTheClusterKey()
    {
        var cluster = new ClusterKey(ClusterKeyBytes);
        ClusterKey client = ClusterKey.ParseClientKey(cluster.ClientKeyHex());
        Assert.True(client.IsClientOnly);
        Assert.False(cluster.IsClientOnly);
        Assert.Equal(Convert.ToHexString(ClusterKey.DeriveRoleKey(ClusterKeyBytes, NodeRole.Client)), client.ClientKeyHex().ToUpperInvariant());
        foreach (NodeRole role in Enum.GetValues<NodeRole>())
        {
            Assert.True(cluster.CanActAs(role));
            Assert.Equal(role == NodeRole.Client, client.CanActAs(role));
        }
        Assert.Throws<InvalidOperationException>(() => client.ToHex());
        Assert.Throws<FormatException>(() => ClusterKey.ParseClientKey(cluster.ToHex()[..20]));
    }
}
