using System.Net;
using System.Net.Sockets;
using System.Text;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;

namespace BitFusion.Host.Metrics;

/// <summary>
/// <c>--metrics-port N</c>: serves <c>GET /metrics</c> in the Prometheus text format on the node's own address.
/// A few lines of HTTP/1.1 (one request per connection, then close) are all a scraper needs; see README for why
/// this is not a library.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    private const int MaxRequestBytes = 8 << 10;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly PrometheusCollector _collector = new();
    private readonly CancellationTokenSource _stop = new();

    private MetricsEndpoint(IPEndPoint endpoint)
    {
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(16);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            _collector.Dispose();
            throw new ConfigException($"--metrics-port {endpoint.Port}: cannot listen on {endpoint}: {e.Message}");
        }
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _ = AcceptLoopAsync();
    }

    /// <summary>The endpoint this process serves, if any: the ready line names its port.</summary>
    public static MetricsEndpoint? Current { get; private set; }

    public int Port { get; }

    /// <summary>Starts serving on <paramref name="port"/> (0: any free port) at the node's bind address; null when no port was asked for.</summary>
    public static MetricsEndpoint? Start(int? port, Cluster cluster, int nodeId)
    {
        if (port is null) return null;
        if (port is < 0 or > 65535) throw new ConfigException($"--metrics-port must be 0..65535 (0: any free port); got {port}.");
        IPAddress address = Cluster.BindEndPointOf(cluster.Node(nodeId)).Address;
        Current = new MetricsEndpoint(new IPEndPoint(address, port.Value));
        Log.Info($"metrics on http://{address}:{Current.Port}/metrics");
        return Current;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(RequestTimeout);
                string? path = await ReadRequestPathAsync(socket, timeout.Token).ConfigureAwait(false);
                (string status, string body) = path switch
                {
                    null => ("400 Bad Request", "expected: GET /metrics\n"),
                    "/metrics" or "/" => ("200 OK", _collector.Scrape()),
                    _ => ("404 Not Found", "this node serves /metrics only\n"),
                };
                byte[] content = Encoding.UTF8.GetBytes(body);
                byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n" +
                                                      $"Content-Length: {content.Length}\r\nConnection: close\r\n\r\n");
                await socket.SendAsync(head, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(content, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A scraper that hung up or dawdled: nothing to answer.
            }
        }
    }

    /// <summary>The path of a GET request line, once the headers are complete; null for anything else.</summary>
    private static async Task<string?> ReadRequestPathAsync(Socket socket, CancellationToken cancellation)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (n == 0) return null;
            length += n;
            string request = Encoding.ASCII.GetString(buffer, 0, length);
            if (!request.Contains("\r\n\r\n", StringComparison.Ordinal)) continue;
            string[] line = request[..request.IndexOf('\r')].Split(' ');
            if (line.Length != 3 || line[0] != "GET") return null;
            int query = line[1].IndexOf('?');
            return query < 0 ? line[1] : line[1][..query];
        }
        return null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _collector.Dispose();
    }
}
