using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BitFusion.Harness.Faults;

/// <summary>
/// A TCP proxy on loopback between processes that injects the faults of a real network on command: drop every
/// connection (both ends see it close while both live), delay every byte (order kept), blackhole one direction
/// (nothing passes, nothing is lost), and cut the link (drop, then refuse new connections until healed). A dialer
/// connects to <see cref="Port"/>; the proxy dials <see cref="Target"/> for each connection and pumps both ways.
/// Thread-safe; every control takes effect at once for live and future connections.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<ProxiedConnection> _connections = [];
    private readonly TaskCompletionSource[] _open = [Opened(), Opened()];
    private readonly bool[] _blackholed = new bool[2];
    private Task _accepting = Task.CompletedTask;
    private long _delayTicks;
    private bool _cut;

    public FaultProxy(EndPoint target, string name)
    {
        Target = target;
        Name = name;
        _listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    public EndPoint Target { get; }

    /// <summary>For logs: e.g. "primary 1 → backup 4".</summary>
    public string Name { get; }

    /// <summary>The loopback port dialers connect to.</summary>
    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Connections accepted so far, and those dropped by <see cref="Drop"/> or <see cref="Cut"/>.</summary>
    public int Accepted { get; private set; }

    public int Dropped { get; private set; }

    /// <summary>Connections open now.</summary>
    public int Live
    {
        get
        {
            lock (_gate) return _connections.Count;
        }
    }

    /// <summary>Added to every chunk's trip, each direction; bytes keep their order.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromSeconds((double)Interlocked.Read(ref _delayTicks) / Stopwatch.Frequency);
        set => Interlocked.Exchange(ref _delayTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    internal long DelayTicks => Interlocked.Read(ref _delayTicks);

    public void Start() => _accepting = AcceptAsync();

    /// <summary>Closes every live connection, both sides; new ones are accepted as before.</summary>
    public void Drop()
    {
        ProxiedConnection[] live;
        lock (_gate)
        {
            live = [.. _connections];
            Dropped += live.Length;
        }
        foreach (ProxiedConnection c in live) c.Close();
    }

    /// <summary>Stops every byte going one way (or lifts that) on live and future connections; nothing is lost.</summary>
    public void Blackhole(Direction direction, bool on = true)
    {
        TaskCompletionSource? release = null;
        lock (_gate)
        {
            int d = (int)direction;
            if (_blackholed[d] == on) return;
            _blackholed[d] = on;
            if (on) _open[d] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            else release = _open[d];
        }
        release?.TrySetResult();
    }

    /// <summary>Drops every connection and refuses new ones (accepted and closed at once) until <see cref="Heal"/>.</summary>
    public void Cut()
    {
        lock (_gate) _cut = true;
        Drop();
    }

    /// <summary>Lifts every fault: no cut, no blackhole, no delay.</summary>
    public void Heal()
    {
        lock (_gate) _cut = false;
        Blackhole(Direction.ToListener, on: false);
        Blackhole(Direction.ToDialer, on: false);
        Delay = TimeSpan.Zero;
    }

    /// <summary>Completes once bytes may pass <paramref name="direction"/>.</summary>
    internal Task PassableAsync(Direction direction, CancellationToken cancellation)
    {
        Task open;
        lock (_gate) open = _open[(int)direction].Task;
        return open.IsCompleted ? Task.CompletedTask : open.WaitAsync(cancellation);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket dialer;
            try
            {
                dialer = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            _ = ConnectAsync(dialer);
        }
    }

    private async Task ConnectAsync(Socket dialer)
    {
        bool cut;
        lock (_gate) cut = _cut;
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (cut) throw new SocketException((int)SocketError.ConnectionRefused);
            await listener.ConnectAsync(Target, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The target is down (or the link is cut): the dialer sees its connection close, as if refused.
            listener.Dispose();
            dialer.Dispose();
            return;
        }
        var connection = new ProxiedConnection(this, dialer, listener);
        lock (_gate)
        {
            if (_cut || _stop.IsCancellationRequested)
            {
                connection.Close();
                return;
            }
            _connections.Add(connection);
            Accepted++;
        }
        connection.Start();
        await connection.Finished.ConfigureAwait(false);
        lock (_gate) _connections.Remove(connection);
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Heal();
        Drop();
    }
}
