namespace BitFusion.Core.Replication;

/// <summary>
/// What one manager's own connection to a node says about which of that node's lives are gone, under the
/// crash-stop model with TCP as the failure detector: a life is dead once the connection to it closed, once the
/// node's port refuses connections (nothing listens there any more), or once the process answering there is
/// another life. A connection that is up but has not named its life yet proves nothing. Guarded by the owner's lock.
/// </summary>
public sealed class LifeTracker
{
    private readonly HashSet<ulong> _gone = [];

    public bool Connected { get; private set; }

    /// <summary>The life at the other end of the open connection, or 0 until it has said.</summary>
    public ulong Life { get; private set; }

    /// <summary>The last attempt to connect was refused.</summary>
    public bool Refused { get; private set; }

    public void OnConnected()
    {
        Connected = true;
        Refused = false;
        Life = 0;
    }

    /// <summary>The process at the other end names its life; true when that is news (a first word or a new life).</summary>
    public bool OnLife(ulong life)
    {
        if (Life == life) return false;
        if (Life != 0) _gone.Add(Life);
        Life = life;
        return true;
    }

    public void OnClosed()
    {
        if (Life != 0) _gone.Add(Life);
        Life = 0;
        Connected = false;
    }

    /// <summary>True when this is news.</summary>
    public bool OnRefused()
    {
        if (Refused) return false;
        Refused = true;
        return true;
    }

    public bool IsDead(ulong life) => Connected ? Life != 0 && Life != life : Refused || _gone.Contains(life);
}
