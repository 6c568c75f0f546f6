using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace BitFusion.Harness.Namespaces;

/// <summary>
/// Lets this process reach a server inside an isolated network without giving its own namespace an address there:
/// listens on this namespace's loopback, and for each connection opens one from inside <see cref="Namespace"/> to
/// the target, copying bytes both ways. When either side ends, both are closed, so a killed server looks to the
/// local client exactly like a closed connection.
/// </summary>
internal sealed class NamespaceForwarder : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private NamespaceForwarder(string networkNamespace, IPEndPoint target)
    {
        Namespace = networkNamespace;
        Target = target;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The namespace the outgoing connections are made from.</summary>
    public string Namespace { get; }

    public IPEndPoint Target { get; }

    /// <summary>Connect here to reach <see cref="Target"/>.</summary>
    public IPEndPoint LocalEndPoint { get; }

    public static NamespaceForwarder Start(string fromNamespace, IPEndPoint target) => new(fromNamespace, target);

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }
            connections.RemoveAll(t => t.IsCompleted);
            connections.Add(ServeAsync(inbound));
        }
        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket inbound)
    {
        using (inbound)
        {
            Socket outbound;
            try
            {
                outbound = NamespaceSocket.Create(Namespace, Target.AddressFamily);
            }
            catch (IOException)
            {
                return;
            }
            using (outbound)
            {
                try
                {
                    await outbound.ConnectAsync(Target, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    return;
                }
                inbound.NoDelay = outbound.NoDelay = true;
                Task up = CopyAsync(inbound, outbound), down = CopyAsync(outbound, inbound);
                await Task.WhenAny(up, down).ConfigureAwait(false);
                inbound.Close();
                outbound.Close();
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
        }
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0) return;
                for (int sent = 0; sent < n;)
                    sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Either end went away: the caller closes both.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
    }
}
