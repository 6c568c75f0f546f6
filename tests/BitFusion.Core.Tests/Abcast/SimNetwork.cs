namespace BitFusion.Core.Tests.Abcast;

/// <summary>
/// A seeded discrete-event network. Each ordered pair of endpoints has a FIFO connection with random delays, so
/// messages from different senders interleave freely while each link keeps its order. A connection can break:
/// what was sent before is delivered only up to a cutoff time, what is sent while it is down is lost, and it
/// comes back up empty — the way a TCP connection fails and is re-dialled.
/// </summary>
internal sealed class SimNetwork(Random rng)
{
    private readonly PriorityQueue<Action, (long Time, long Order)> _events = new();
    private readonly Dictionary<(object From, object To), Connection> _connections = new();
    private long _order;

    public long Now { get; private set; }

    public long Processed { get; private set; }

    public void At(long time, Action action) => _events.Enqueue(action, (Math.Max(time, Now), _order++));

    /// <param name="delays">Draws this message's delay (default: the network's generator).</param>
    public void Send(object from, object to, Action deliver, Random? delays = null)
    {
        if (!_connections.TryGetValue((from, to), out Connection? c)) _connections[(from, to)] = c = new Connection();
        if (c.Down) return;
        long arrival = Math.Max(c.LastArrival, Now + Delay(delays ?? rng));
        c.LastArrival = arrival;
        At(arrival, () =>
        {
            if (arrival <= c.Cutoff) deliver();
        });
    }

    /// <summary>Breaks both directions between a and b: in-flight messages arriving after <paramref name="cutoff"/> are lost.</summary>
    public void Break(object a, object b, long cutoff)
    {
        foreach ((object, object) key in new[] { (a, b), (b, a) })
        {
            if (_connections.TryGetValue(key, out Connection? old)) old.Cutoff = Math.Min(old.Cutoff, cutoff);
            _connections[key] = new Connection { Down = true, LastArrival = cutoff };
        }
    }

    /// <summary>Breaks every connection of <paramref name="process"/>, as its crash does.</summary>
    public void BreakAll(object process, long cutoff)
    {
        foreach ((object from, object to) in _connections.Keys.ToArray())
            if (ReferenceEquals(from, process)) Break(from, to, cutoff);
    }

    public void Reconnect(object a, object b)
    {
        foreach ((object, object) key in new[] { (a, b), (b, a) })
            if (_connections.TryGetValue(key, out Connection? c))
            {
                c.Down = false;
                c.LastArrival = Math.Max(c.LastArrival, Now);
            }
    }

    public bool Step()
    {
        if (!_events.TryDequeue(out Action? action, out (long Time, long Order) at)) return false;
        Now = at.Time;
        Processed++;
        action();
        return true;
    }

    private static long Delay(Random r) => r.Next(100) < 5 ? r.Next(40, 300) : r.Next(1, 30);

    private sealed class Connection
    {
        public long LastArrival;
        public long Cutoff = long.MaxValue;
        public bool Down;
    }
}
