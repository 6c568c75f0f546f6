using System.Buffers.Binary;
using System.Net;
using BitFusion.Integration.Tests.BadInput;
using BitFusion.Net.Config;
using BitFusion.Core.Fusion.Roles;
using BitFusion.Net.Fusion;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;
using K4os.Compression.LZ4;
using Xunit.Abstractions;

namespace BitFusion.Integration.Tests;

/// <summary>The transport's and the size rule's bounds, in process: what a frame header declares is not what a node allocates.</summary>
public sealed class TransportBoundsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnAuthenticatedPeerDeclaringA64MiBFrameCostsWhatItSent()
    {
        ClusterKey key = ClusterKey.Generate();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true,
            new SilentHandler(), Frame.DefaultMaxFrameBytes);
        server.Start();
        using RawPeer peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        await peer.HandshakeAsync(key, new PeerIdentity(NodeRole.Primary, 2), new PeerIdentity(NodeRole.Backup, 1));

        long before = GC.GetTotalAllocatedBytes(precise: true);
        byte[] start = new byte[4 + (1 << 20)];
        BinaryPrimitives.WriteUInt32LittleEndian(start, Frame.DefaultMaxFrameBytes);
        start[4] = (byte)MessageType.Delta;
        peer.Send(start);
        await Task.Delay(500);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"declared {Frame.DefaultMaxFrameBytes >> 20} MiB, sent 1 MiB: the process allocated {allocated / 1024} KiB meanwhile");
        Assert.True(allocated < 16 << 20, $"the server allocated {allocated >> 20} MiB for a frame of which 1 MiB arrived");
    }

    [Fact]
    public async Task BeforeTheHandshakeAFrameLongerThanAnyHandshakeMessageClosesTheConnection()
    {
        ClusterKey key = ClusterKey.Generate();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true,
            new SilentHandler(), Frame.DefaultMaxFrameBytes);
        server.Start();
        using RawPeer peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        await peer.ReadChallengeAsync();
        byte[] header = new byte[Frame.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Connection.HandshakeMaxFrameBytes + 1);
        header[4] = (byte)MessageType.Hello;
        peer.Send(header);
        await peer.ExpectClosedAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(1, server.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task ConnectionsBeyondTheHandshakeCapAreClosedAtOnceAndCounted()
    {
        ClusterKey key = ClusterKey.Generate();
        using var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), key, new PeerIdentity(NodeRole.Backup, 1), _ => true,
            new SilentHandler(), Frame.DefaultMaxFrameBytes, maxHandshakes: 2);
        server.Start();
        var idle = new List<RawPeer>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                idle.Add(await RawPeer.ConnectAsync(server.LocalEndPoint));
                await idle[i].ReadChallengeAsync();
            }
            using RawPeer third = await RawPeer.ConnectAsync(server.LocalEndPoint);
            Assert.Empty(await third.ExpectClosedAsync(TimeSpan.FromSeconds(3)));
            Assert.Equal(1, server.Counters.HandshakeOverflows);
        }
        finally
        {
            foreach (RawPeer p in idle) p.Dispose();
        }
    }

    [Fact]
    public void AHostNameBindsToItsAddressNotEveryInterface()
    {
        IPEndPoint bind = Cluster.BindEndPointOf(new NodeConfig { Id = 1, Role = "backup", Host = "localhost", Port = 7001 });
        Assert.True(IPAddress.IsLoopback(bind.Address), $"localhost binds to {bind.Address}");
        Assert.Equal(7001, bind.Port);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(64 << 10)]
    [InlineData(Frame.DefaultMaxFrameBytes)]
    [InlineData(1 << 30)]
    public void ListLimitsKeepEveryListAndRunInsideOneFrame(int maxFrameBytes)
    {
        ListLimits limits = ListLimits.For(maxFrameBytes);
        output.WriteLine($"maxFrameBytes {maxFrameBytes}: MaxListBits {limits.MaxListBits}, MaxAppendBits {limits.MaxAppendBits}");
        Assert.InRange(limits.MaxListBits, 1, ListLimits.MaxCount);
        Assert.InRange(limits.MaxAppendBits, 1, limits.MaxListBits);
        // Incompressible words in the largest bulk frame (a Residual for 256 lost primaries has the largest head).
        Assert.True(1 + 16 + 12 * 256 + 8 + LZ4Codec.MaximumOutputSize((int)(limits.MaxListBits / 8)) <= maxFrameBytes || limits.MaxListBits == ListLimits.MaxCount);
        // The largest run as a forwarded delta: type, prefix, delta head, and one word more than the run.
        Assert.True(1 + 12 + DeltaWire.HeadBytes + 16 + 8L * (Core.Bits.Delta.WordsFor(limits.MaxAppendBits) + 1) <= maxFrameBytes);

        Assert.Null(limits.Refuse(ListOp.Append, 0, limits.MaxAppendBits));
        Assert.NotNull(limits.Refuse(ListOp.Append, 0, limits.MaxAppendBits + 1));
        Assert.Null(limits.Refuse(ListOp.Append, limits.MaxListBits - 1, 0));
        Assert.NotNull(limits.Refuse(ListOp.Append, limits.MaxListBits, 0));
        Assert.NotNull(limits.Refuse(ListOp.Insert, limits.MaxListBits, 0));
        Assert.Null(limits.Refuse(ListOp.Set, limits.MaxListBits, 0));
        Assert.NotNull(limits.Refuse(ListOp.Append, limits.MaxListBits - 10, 11));
    }
}
