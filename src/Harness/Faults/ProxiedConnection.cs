using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace BitFusion.Harness.Faults;

/// <summary>
/// One connection through a <see cref="FaultProxy"/>: the dialer's socket and the proxy's own to the listener, with
/// one reader and one writer per direction. A reader stamps each chunk with the time it may leave (now + the
/// proxy's delay) and queues it; the writer sends chunks in order once due, so a delay never reorders bytes, as
/// on TCP. While a direction is blackholed both its reader and writer wait: nothing is lost, the sender's buffers
/// fill, and the bytes flow again when it is lifted (what TCP retransmission makes of a silent network).
/// </summary>
internal sealed class ProxiedConnection
{
    private const int ChunkBytes = 64 << 10;

    private readonly FaultProxy _proxy;
    private readonly Socket _dialer, _listener;
    private readonly CancellationTokenSource _closed = new();
    private int _closing;

    public ProxiedConnection(FaultProxy proxy, Socket dialer, Socket listener)
    {
        _proxy = proxy;
        _dialer = dialer;
        _listener = listener;
        _dialer.NoDelay = _listener.NoDelay = true;
    }

    public Task Finished { get; private set; } = Task.CompletedTask;

    public void Start() => Finished = Task.WhenAll(PumpAsync(_dialer, _listener, Direction.ToListener), PumpAsync(_listener, _dialer, Direction.ToDialer));

    /// <summary>Closes both sides at once, as a dropped connection looks to each end.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        _closed.Cancel();
        foreach (Socket s in new[] { _dialer, _listener })
        {
            try
            {
                s.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already reset by the other end.
            }
            s.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Direction direction)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Chunk, int Length)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task writer = WriteAsync(queue.Reader, to, direction);
        try
        {
            while (true)
            {
                await _proxy.PassableAsync(direction, _closed.Token).ConfigureAwait(false);
                byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int n = await from.ReceiveAsync(chunk.AsMemory(0, ChunkBytes), SocketFlags.None, _closed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    break;
                }
                queue.Writer.TryWrite((Stopwatch.GetTimestamp() + _proxy.DelayTicks, chunk, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection was dropped, by a fault or by an end.
        }
        queue.Writer.TryComplete();
        try
        {
            await writer.ConfigureAwait(false);
        }
        finally
        {
            Close();
        }
    }

    private async Task WriteAsync(ChannelReader<(long Due, byte[] Chunk, int Length)> queue, Socket to, Direction direction)
    {
        try
        {
            await foreach ((long due, byte[] chunk, int length) in queue.ReadAllAsync(_closed.Token).ConfigureAwait(false))
            {
                try
                {
                    await PreciseDelay.UntilAsync(due, _closed.Token).ConfigureAwait(false);
                    await _proxy.PassableAsync(direction, _closed.Token).ConfigureAwait(false);
                    for (int sent = 0; sent < length;)
                        sent += await to.SendAsync(chunk.AsMemory(sent, length - sent), SocketFlags.None, _closed.Token).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                }
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Dropped mid-send: the other direction's pump closes both sides.
        }
    }
}
