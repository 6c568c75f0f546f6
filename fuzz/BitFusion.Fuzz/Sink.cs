using System.Net;
using System.Net.Sockets;
using BitFusion.Net.Transport;

namespace BitFusion.Fuzz;

/// <summary>
/// Connections whose replies go to a loopback socket drained by a background thread, so a handler that answers
/// never blocks the fuzzer. One connection per peer identity, reopened if a handler closed it.
/// </summary>
internal sealed class Sink : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Dictionary<PeerIdentity, Connection> _open = [];

    public Sink()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
    }

    public Connection Connection(PeerIdentity peer)
    {
        if (_open.TryGetValue(peer, out Connection? c) && !c.IsClosed) return c;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(_listener.LocalEndPoint!);
        Socket far = _listener.Accept();
        var drain = new Thread(() =>
        {
            byte[] buffer = new byte[1 << 16];
            try
            {
                while (far.Receive(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            far.Dispose();
        }) { IsBackground = true };
        drain.Start();
        c = new Connection(socket, $"fuzz {peer}") { Peer = peer };
        _open[peer] = c;
        return c;
    }

    public void Dispose()
    {
        foreach (Connection c in _open.Values) c.Dispose();
        _listener.Dispose();
    }
}
