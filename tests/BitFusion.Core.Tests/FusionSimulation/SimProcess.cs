namespace BitFusion.Core.Tests.FusionSimulation;

internal enum ProcessState : byte
{
    Up,
    Paused,
    Down,
}

/// <summary>
/// One simulated process. While paused it neither runs ticks nor reads: what arrives waits, in order, and runs when
/// it resumes, against its stale state. A crash loses its memory and every connection; a restart builds it anew.
/// </summary>
internal abstract class SimProcess(FusionSimulation sim, string name)
{
    public FusionSimulation Sim { get; } = sim;
    public string Name { get; } = name;
    public ProcessState State { get; set; } = ProcessState.Up;

    /// <summary>The last time this process paused, resumed, crashed or restarted.</summary>
    public long DisruptedAt { get; set; }

    /// <summary>Bumped at every crash, so events meant for an earlier incarnation are dropped.</summary>
    public int Incarnation { get; set; }

    public List<SimLink> Links { get; } = [];
    public Queue<Action> Held { get; } = new();

    public abstract void Start();

    public abstract void Stop();

    public abstract void Tick();

    public abstract void OnLinkDown(SimLink link);

    public abstract void OnMessage(SimLink link, object message);

    public override string ToString() => Name;
}

/// <summary>A TCP connection between two processes: FIFO per direction, random delays, an optional slow reader at either end.</summary>
internal sealed class SimLink(long id, SimProcess dialer, SimProcess acceptor)
{
    public long Id { get; } = id;
    public SimProcess Dialer { get; } = dialer;
    public SimProcess Acceptor { get; } = acceptor;
    public bool Open { get; set; } = true;
    public long[] LastArrival { get; } = new long[2];
    public long[] ExtraDelay { get; } = new long[2];
    public long[] LastHeard { get; } = new long[2];

    public int EndOf(SimProcess p) => ReferenceEquals(p, Dialer) ? 0 : 1;

    public SimProcess Other(SimProcess p) => ReferenceEquals(p, Dialer) ? Acceptor : Dialer;

    public long LastHeardBy(SimProcess p) => LastHeard[EndOf(p)];

    public override string ToString() => $"{Dialer}→{Acceptor}#{Id}";
}
