namespace BitFusion.Core.Replication;

/// <summary>
/// A replica's last delivery reports per sender, so a report lost with a dropped connection (or produced while the
/// sender's manager was not connected) is sent again when that manager's connection announces itself. A manager
/// waits for every destination's report before it answers a write, and has at most <c>window</c> writes in flight;
/// while a report of this replica is missing, the manager completes none of its later writes to this group, so
/// every report it still misses is among this replica's last <c>window</c> to it. Bounded: one ring of that
/// length per sender in the view.
/// </summary>
internal sealed class DeliveryLog(int window)
{
    private readonly Dictionary<int, Ring> _bySender = [];

    public void Add(in DeliveryReport report)
    {
        if (!_bySender.TryGetValue(report.Id.Sender, out Ring? ring)) _bySender.Add(report.Id.Sender, ring = new Ring(window));
        ring.Add(report);
    }

    /// <summary>The reports kept for <paramref name="sender"/>, oldest first.</summary>
    public void Replay(int sender, Action<DeliveryReport> send)
    {
        if (!_bySender.TryGetValue(sender, out Ring? ring)) return;
        for (int i = 0; i < ring.Count; i++) send(ring.At(i));
    }

    /// <summary>Drops the rings of senders <paramref name="keep"/> no longer admits: they will never ask again.</summary>
    public void Retain(Func<int, bool> keep)
    {
        foreach (int sender in _bySender.Keys)
            if (!keep(sender)) _bySender.Remove(sender);
    }

    public void Clear() => _bySender.Clear();

    private sealed class Ring(int length)
    {
        private readonly DeliveryReport[] _items = new DeliveryReport[length];
        private int _next;

        public int Count { get; private set; }

        public void Add(in DeliveryReport report)
        {
            _items[_next] = report;
            _next = (_next + 1) % _items.Length;
            Count = Math.Min(Count + 1, _items.Length);
        }

        public DeliveryReport At(int i) => _items[(_next - Count + i + _items.Length) % _items.Length];
    }
}
