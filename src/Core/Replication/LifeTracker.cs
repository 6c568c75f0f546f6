namespace BitFusion.Core.Replication;

/// <summary>
/// What one manager's own connection to a node says about which of that node's lives are gone. A life is dead once
/// the process answering there is another life, once the node's port refuses connections (nothing listens there any
/// more), or once the connection to it has stayed closed for a grace period — a connection closes when the peer
/// crashes, when it drops while both ends live, and when a failure detector gives up on a silent peer; only the
/// first is a death, and the others come back within the grace period (the manager redials at once). A connection
/// that is up but has not named its life yet proves nothing. Guarded by the owner's lock.
/// </summary>
internal sealed class LifeTracker
{
    private readonly HashSet<ulong> _superseded = [];
    private ulong _lastLife;
    private long _closedAt = long.MaxValue;

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
        if (_lastLife != 0 && _lastLife != life) _superseded.Add(_lastLife);
        Life = _lastLife = life;
        _closedAt = long.MaxValue;
        return true;
    }

    /// <summary>The connection closed at <paramref name="now"/>; its life is dead unless it answers again within the grace period.</summary>
    public void OnClosed(long now)
    {
        if (Connected) _closedAt = Math.Min(_closedAt, now);
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

    /// <summary>When the life last seen here is taken for dead if nothing answers before (<see cref="long.MaxValue"/>: not pending).</summary>
    public long DeadlineAfter(long grace) => Connected || _closedAt == long.MaxValue ? long.MaxValue : _closedAt + grace;

    /// <summary>Proven gone, not merely silent: another life answered here, or nothing listens at the node's port.</summary>
    public bool IsGone(ulong life) => _superseded.Contains(life) || (Connected ? Life != 0 && Life != life : Refused);

    public bool IsDead(ulong life, long now, long grace)
    {
        if (_superseded.Contains(life)) return true;
        if (Connected) return Life != 0 && Life != life;
        return Refused || (_closedAt != long.MaxValue && now - _closedAt >= grace);
    }
}
