namespace BitFusion.Core.Idempotency;

/// <summary>
/// Remembers the recent writes of each client so a retried write is never applied twice: its retry joins it while
/// it is in flight and gets its first result once it completed. Bounded: at most <see cref="MaxClients"/> clients
/// (the least recently heard is evicted), each with a window of the last <see cref="Window"/> seqs. Whatever the
/// table cannot vouch for — a seq below the window, a resend from a client it does not know (evicted, or this
/// process restarted and lost the table) — is <see cref="DedupVerdict.Unknown"/>, never applied again.
/// A client numbers its writes 1, 2, 3, … and marks a request it sends again after losing the connection as a
/// resend; a first send from an unknown client starts a fresh window at its seq. Not thread-safe: the caller's
/// lock guards it together with the writes it describes.
/// </summary>
internal sealed class WriteDedup
{
    private readonly Dictionary<ulong, ClientWindow> _clients;
    private ClientWindow? _newest, _oldest;

    public WriteDedup(int maxClients, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxClients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        MaxClients = maxClients;
        Window = window;
        _clients = new Dictionary<ulong, ClientWindow>(maxClients);
    }

    public int MaxClients { get; }

    public int Window { get; }

    /// <summary>Clients currently remembered.</summary>
    public int Clients => _clients.Count;

    /// <summary>Clients forgotten to make room for others since the table was made.</summary>
    public long Evictions { get; private set; }

    /// <summary>The entries' share of the memory cap: every client's ring at its largest.</summary>
    public long MaxEntryBytes => (long)MaxClients * Window * System.Runtime.CompilerServices.Unsafe.SizeOf<ClientWindow.Entry>();

    /// <summary>Decides what to do with write <paramref name="seq"/> (≥ 1) of <paramref name="client"/>; a New write is recorded as in flight.</summary>
    public DedupDecision Begin(ulong client, ulong seq, bool resend)
    {
        ArgumentOutOfRangeException.ThrowIfZero(seq);
        if (!_clients.TryGetValue(client, out ClientWindow? w))
        {
            if (resend) return new DedupDecision(DedupVerdict.Unknown, default);
            w = Claim(client, seq);
        }
        Touch(w);
        if (seq < w.Floor || (w.High >= seq && w.High - seq >= (ulong)w.Ring.Length)) return new DedupDecision(DedupVerdict.Unknown, default);
        bool fresh = seq > w.High;
        if (fresh)
        {
            w.Reach(seq);
            w.High = seq;
        }
        ref ClientWindow.Entry e = ref w.At(seq);
        if (!fresh && e.Seq == seq && e.State != ClientWindow.State.Empty)
            return e.State == ClientWindow.State.InFlight
                ? new DedupDecision(DedupVerdict.InFlight, default)
                : new DedupDecision(DedupVerdict.Done, e.First);
        e = new ClientWindow.Entry { Seq = seq, State = ClientWindow.State.InFlight };
        return new DedupDecision(DedupVerdict.New, default);
    }

    /// <summary>Records the first result of a write that <see cref="Begin"/> called New; a no-op if the table has forgotten it since.</summary>
    public void Complete(ulong client, ulong seq, in WriteResult result)
    {
        if (Find(client, seq) is { } w) w.At(seq) = new ClientWindow.Entry { Seq = seq, State = ClientWindow.State.Done, First = result };
    }

    /// <summary>The write was not applied after all (refused before anything changed): a retry may apply it.</summary>
    public void Forget(ulong client, ulong seq)
    {
        if (Find(client, seq) is { } w) w.At(seq) = default;
    }

    private ClientWindow? Find(ulong client, ulong seq)
    {
        if (!_clients.TryGetValue(client, out ClientWindow? w)) return null;
        ref ClientWindow.Entry e = ref w.At(seq);
        return e.Seq == seq && e.State == ClientWindow.State.InFlight ? w : null;
    }

    private ClientWindow Claim(ulong client, ulong seq)
    {
        ClientWindow w;
        if (_clients.Count < MaxClients) w = new ClientWindow(Window);
        else
        {
            w = _oldest!;
            Unlink(w);
            _clients.Remove(w.Client);
            Evictions++;
        }
        w.Reset(client, seq);
        _clients.Add(client, w);
        return w;
    }

    private void Touch(ClientWindow w)
    {
        if (_newest == w) return;
        if (w.Older is not null || w.Newer is not null || _oldest == w) Unlink(w);
        w.Older = _newest;
        w.Newer = null;
        if (_newest is not null) _newest.Newer = w;
        _newest = w;
        _oldest ??= w;
    }

    private void Unlink(ClientWindow w)
    {
        if (w.Newer is not null) w.Newer.Older = w.Older;
        else _newest = w.Older;
        if (w.Older is not null) w.Older.Newer = w.Newer;
        else _oldest = w.Newer;
        w.Newer = w.Older = null;
    }
}
