using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Protocol;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.BadInput;

/// <summary>
/// A TCP peer that speaks the protocol only as far as a test wants and then sends whatever bytes it likes. A valid
/// handshake goes through the real client code (<see cref="Handshake.ConnectAsync"/>) over this socket, after
/// which the socket is written raw.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly Socket _socket;

    private RawPeer(Socket socket) => _socket = socket;

    /// <param name="receiveBufferBytes">A small receive buffer (set before connecting, which turns off the kernel's autotuning) makes a peer that stops reading push back sooner.</param>
    public static async Task<RawPeer> ConnectAsync(EndPoint endpoint, int? receiveBufferBytes = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes is { } bytes) socket.ReceiveBufferSize = bytes;
        await socket.ConnectAsync(endpoint);
        return new RawPeer(socket);
    }

    /// <summary>A complete, valid handshake as the given identity; throws <see cref="HandshakeRejectedException"/> if refused.</summary>
    public async Task HandshakeAsync(ClusterKey key, PeerIdentity self, PeerIdentity server)
    {
        // Only the handshake goes through this wrapper; it reads no further than the server's answer.
        var connection = new Connection(_socket, "raw peer", int.MaxValue);
        using var timeout = new CancellationTokenSource(Patience);
        await Handshake.ConnectAsync(connection, key, self, server, timeout.Token);
    }

    /// <summary>Reads the server's Challenge and returns its nonce.</summary>
    public async Task<byte[]> ReadChallengeAsync()
    {
        (MessageType type, byte[] payload) = await ReadFrameAsync() ?? throw new IOException("closed before the Challenge");
        Assert.Equal(MessageType.Challenge, type);
        return payload[9..];
    }

    /// <summary>A Hello as the wire defines it: <c>magic u32 | version u16 | role u8 | node u16 | nonce[32] | mac[32]</c>.</summary>
    public void SendHello(uint magic, ushort version, NodeRole role, ushort nodeId, ReadOnlySpan<byte> mac) =>
        SendHello(magic, version, role, nodeId, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), mac);

    public void SendHello(uint magic, ushort version, NodeRole role, ushort nodeId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> mac)
    {
        Span<byte> hello = stackalloc byte[9 + 32 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(hello, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(hello[4..], version);
        hello[6] = (byte)role;
        BinaryPrimitives.WriteUInt16LittleEndian(hello[7..], nodeId);
        nonce.CopyTo(hello.Slice(9, 32));
        mac.CopyTo(hello[41..]);
        SendFrame(MessageType.Hello, hello);
    }

    public void SendFrame(MessageType type, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[Frame.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(payload.Length + 1));
        frame[4] = (byte)type;
        payload.CopyTo(frame.AsSpan(Frame.HeaderSize));
        Send(frame);
    }

    public void Send(ReadOnlySpan<byte> bytes)
    {
        for (int sent = 0; sent < bytes.Length;) sent += _socket.Send(bytes[sent..]);
    }

    /// <summary>Half-closes: the server sees end of stream, but can still answer.</summary>
    public void EndSending() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next frame, or null when the server closed the connection.</summary>
    public async Task<(MessageType Type, byte[] Payload)?> ReadFrameAsync()
    {
        byte[] header = new byte[Frame.HeaderSize];
        if (!await ReadExactlyAsync(header)) return null;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        byte[] payload = new byte[length - 1];
        if (!await ReadExactlyAsync(payload)) throw new IOException("the server closed mid-frame");
        return ((MessageType)header[4], payload);
    }

    /// <summary>Reads until the server closes the connection and returns the frames it sent first; fails if it does not close.</summary>
    public async Task<List<(MessageType Type, byte[] Payload)>> ExpectClosedAsync(TimeSpan? within = null)
    {
        var frames = new List<(MessageType, byte[])>();
        using var timeout = new CancellationTokenSource(within ?? Patience);
        try
        {
            while (await ReadFrameAsync().WaitAsync(timeout.Token) is { } frame) frames.Add(frame);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server kept the connection open for {(within ?? Patience).TotalSeconds:0} s after bad input (frames so far: {string.Join(", ", frames.Select(f => f.Item1))})");
        }
        return frames;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                n = 0;
            }
            if (n == 0)
            {
                if (read == 0) return false;
                throw new IOException($"the server closed after {read} of {buffer.Length} bytes");
            }
            read += n;
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
