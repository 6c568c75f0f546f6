using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// Everything the clients of one group saw, across all its writers and managers: each acknowledged write with the
/// count and the position its replicas gave it, the writes whose outcome a manager's crash left unknown, and the
/// reads (with what was acknowledged before each was sent). <see cref="Verify"/> rebuilds the group's one order
/// from the positions and checks it against the replicas. Thread-safe.
/// </summary>
internal sealed class GroupLedger(int group)
{
    private const int MaxAssignments = 5040;

    private readonly Lock _gate = new();
    private readonly List<(Operation Op, WriteReceipt Receipt)> _acked = [];
    private readonly List<Operation> _uncertain = [];
    private readonly List<BitsResult> _reads = [];
    private long _highestAcked;

    public int Group { get; } = group;

    public int Refused { get; private set; }

    public int Acked
    {
        get
        {
            lock (_gate) return _acked.Count;
        }
    }

    public int Uncertain
    {
        get
        {
            lock (_gate) return _uncertain.Count;
        }
    }

    public int Reads
    {
        get
        {
            lock (_gate) return _reads.Count;
        }
    }

    /// <summary>The highest position acknowledged to any client so far: a read sent now must reflect at least that.</summary>
    public long HighestAcked
    {
        get
        {
            lock (_gate) return _highestAcked;
        }
    }

    public void Ack(Operation op, WriteReceipt receipt)
    {
        lock (_gate)
        {
            _acked.Add((op, receipt));
            _highestAcked = Math.Max(_highestAcked, receipt.Position);
        }
    }

    public void Refuse()
    {
        lock (_gate) Refused++;
    }

    public void Unknown(Operation op)
    {
        lock (_gate) _uncertain.Add(op);
    }

    /// <summary>Records a read through a manager; fails at once if it misses a write acknowledged before it was sent.</summary>
    public void Read(BitsResult read, long acknowledgedBefore)
    {
        if (read.Seq < acknowledgedBefore)
            throw new WorkloadException($"group {Group}: a read answered position {read.Seq}, but position {acknowledgedBefore} was acknowledged before it was sent.");
        lock (_gate) _reads.Add(read);
    }

    public override string ToString()
    {
        lock (_gate)
            return $"group {Group}: {_acked.Count} writes acknowledged (last position {_highestAcked}), {Refused} refused as out of range, " +
                   $"{_uncertain.Count} of unknown outcome, {_reads.Count} reads checked";
    }

    /// <summary>
    /// Null when the replicas (already found identical) hold exactly the acknowledged writes in the order of their
    /// positions, plus some of the unknown ones in the positions nobody was told about; every acknowledged count
    /// and every read matches that order. Else what differs.
    /// </summary>
    public string? Verify(BitsResult replica)
    {
        lock (_gate)
        {
            var byPosition = new Dictionary<long, (Operation Op, WriteReceipt Receipt)>();
            foreach ((Operation op, WriteReceipt r) in _acked)
            {
                if (r.Position < 1 || r.Position > replica.Seq)
                    return $"a write was acknowledged at position {r.Position}, outside 1..{replica.Seq} (the replicas' position)";
                if (!byPosition.TryAdd(r.Position, (op, r))) return $"two acknowledged writes share position {r.Position}";
            }
            var gaps = new List<long>();
            for (long p = 1; p <= replica.Seq; p++)
                if (!byPosition.ContainsKey(p)) gaps.Add(p);
            if (gaps.Count > _uncertain.Count)
                return $"the replicas hold {gaps.Count} writes nobody was told about (positions {string.Join(", ", gaps.Take(10))}), " +
                       $"but only {_uncertain.Count} writes had an unknown outcome";
            string? first = null;
            int tried = 0;
            foreach (int[] assignment in Assignments(_uncertain.Count, gaps.Count))
            {
                if (++tried > MaxAssignments) break;
                string? failure = Replay(byPosition, gaps, assignment, replica);
                if (failure is null) return null;
                first ??= failure;
            }
            return first ?? "no assignment of the unknown writes to the free positions was tried";
        }
    }

    private string? Replay(Dictionary<long, (Operation Op, WriteReceipt Receipt)> acked, List<long> gaps, int[] assignment, BitsResult replica)
    {
        var model = new BitModel();
        var reads = _reads.OrderBy(r => r.Seq).ToList();
        int nextRead = 0;
        for (long p = 0; p <= replica.Seq; p++)
        {
            if (p > 0)
            {
                int gap = gaps.IndexOf(p);
                Operation op = gap >= 0 ? _uncertain[assignment[gap]] : acked[p].Op;
                if (!Valid(op, model.Count)) return $"the write at position {p} ({op}) is out of range for the {model.Count} bits before it";
                model.Apply(op);
                if (gap < 0 && acked[p].Receipt.Value != model.Count)
                    return $"the write at position {p} ({op}) was acknowledged with count {acked[p].Receipt.Value}, but the order gives {model.Count}";
            }
            for (; nextRead < reads.Count && reads[nextRead].Seq == p; nextRead++)
                if (model.Difference(reads[nextRead].Words, reads[nextRead].Length, p) is { } d)
                    return $"a read at position {p} differs from the order's state there: {d}";
        }
        return model.Difference(replica.Words, replica.Length, replica.Seq) is { } diff ? $"the replicas differ from the order's final state: {diff}" : null;
    }

    private static bool Valid(Operation op, int count) => op.Kind switch
    {
        OpKind.Append or OpKind.AppendMany => true,
        OpKind.Insert => op.Index <= count,
        _ => op.Index < count,
    };

    /// <summary>Every injective map of <paramref name="slots"/> free positions to distinct items of <paramref name="items"/>.</summary>
    private static IEnumerable<int[]> Assignments(int items, int slots)
    {
        var current = new int[slots];
        var used = new bool[items];
        return Fill(0);

        IEnumerable<int[]> Fill(int slot)
        {
            if (slot == slots)
            {
                yield return (int[])current.Clone();
                yield break;
            }
            for (int i = 0; i < items; i++)
            {
                if (used[i]) continue;
                used[i] = true;
                current[slot] = i;
                foreach (int[] a in Fill(slot + 1)) yield return a;
                used[i] = false;
            }
        }
    }
}
