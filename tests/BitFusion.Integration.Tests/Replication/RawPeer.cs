using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// A misbehaving peer: a socket it can write any bytes to, before or after an honest handshake, and a way to learn
/// whether the server hung up on it.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;

    private RawPeer(Socket socket, Connection connection)
    {
        _socket = socket;
        Connection = connection;
    }

    /// <summary>The framed view of the same socket, for reading what the server says.</summary>
    public Connection Connection { get; }

    /// <summary>Connects without a handshake.</summary>
    public static async Task<RawPeer> ConnectAsync(EndPoint server)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        return new RawPeer(socket, new Connection(socket, $"raw @ {server}"));
    }

    /// <summary>Connects and completes an honest handshake as <paramref name="self"/>.</summary>
    public static async Task<RawPeer> AuthenticatedAsync(EndPoint server, ClusterKey key, PeerIdentity self, NodeRole serverRole)
    {
        RawPeer peer = await ConnectAsync(server);
        using var timeout = new CancellationTokenSource(Patience);
        await Handshake.ConnectAsync(peer.Connection, key, self, serverRole, timeout.Token);
        return peer;
    }

    public void SendBytes(ReadOnlySpan<byte> bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += _socket.Send(bytes[sent..]);
    }

    /// <summary>A frame with an honest length.</summary>
    public void SendFrame(MessageType type, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[Frame.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(payload.Length + 1));
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(Frame.HeaderSize));
        SendBytes(frame);
    }

    public async Task<Frame> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await Connection.ReadAsync(timeout.Token);
    }

    /// <summary>True once the server has closed the connection (reading what it still sends first).</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        try
        {
            while (true)
            {
                Frame frame = await ReadAsync();
                if (frame.IsEnd) return true;
            }
        }
        catch (ProtocolException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => Connection.Close("test done");
}
