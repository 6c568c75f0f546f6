namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// One simulated TCP connection between two process lives: the dialer and the acceptor. It carries frames both
/// ways (FIFO per direction through the shared <see cref="Abcast.SimNetwork"/>), and once closed nothing more is
/// sent on it; frames already in flight arrive up to the close's cutoff.
/// </summary>
internal sealed class SimLink(SimProcess dialer, SimProcess acceptor)
{
    public SimProcess Dialer { get; } = dialer;

    public SimProcess Acceptor { get; } = acceptor;

    public bool Open { get; set; }

    /// <summary>Set once the close was decided: no new frame goes out.</summary>
    public bool Closing { get; set; }

    public SimProcess Other(SimProcess me) => ReferenceEquals(me, Dialer) ? Acceptor : Dialer;

    /// <summary>This connection's own ends on the network: two connections between the same processes are separate FIFO streams.</summary>
    public object DialerEnd { get; } = new();

    public object AcceptorEnd { get; } = new();

    public object EndOf(SimProcess me) => ReferenceEquals(me, Dialer) ? DialerEnd : AcceptorEnd;
}

/// <summary>One life of a simulated process (a restart is a new object). A paused life runs nothing until it resumes.</summary>
internal abstract class SimProcess(int node)
{
    public int Node { get; } = node;

    public bool Alive { get; set; } = true;

    public long PausedUntil { get; set; } = -1;

    /// <summary>When its last pause or dropped connection ended: until a view change has had time to follow, it may be excluded yet.</summary>
    public long QuietFrom { get; set; }

    public List<SimLink> Links { get; } = [];

    /// <summary>What arrived while paused, in arrival order: it runs on resume before anything that arrives later.</summary>
    public Queue<Action> Deferred { get; } = new();

    public abstract void OnLinkClosed(SimLink link);
}
