using BitFusion.Net.Client;
using BitFusion.Net.Replication;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Bench;

/// <summary>
/// Rejoin time of a data node against its group's list length: fill the list, drop one replica, start it again
/// with the same id, and time the pause from the view that admits it to its serving with the transferred state.
/// A writer keeps appending to the group throughout, so the transfer happens under load.
/// </summary>
internal static class RejoinBench
{
    public sealed record Result(int Faults, long Bits, double RejoinMicros, double ManagerMicros, long Bytes, int Repeats);

    public static async Task<Result> RunAsync(int faults, long bits, int repeats, CancellationToken cancellation)
    {
        await using InProcessReplication cluster = await InProcessReplication.StartAsync(1, faults, 1, 1024, cancellation);
        using BitListClient client = await cluster.ClientAsync(0, 0, 1000, cancellation);
        var random = new Random((int)(bits % int.MaxValue));
        const int chunkBits = 1 << 22;
        var chunk = new ulong[chunkBits / 64];
        // One run at a time: each replica applies a read batch of pipelined runs under its lock, and every run that
        // outgrows the list's slack copies the whole list, so a window of 4 Mi-bit runs into a list of 10^8 bits held
        // all three replicas for 2–3 s on a loaded machine — past suspectAfterMs, and the manager dropped them all.
        for (long done = 0; done < bits; done += chunkBits)
        {
            int n = (int)Math.Min(chunkBits, bits - done);
            for (int w = 0; w < chunk.Length; w++) chunk[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            await client.AppendManyAsync(chunk, n);
        }
        await client.RejoinTimesAsync();

        using var stopWriter = new CancellationTokenSource();
        Task writer = WriteUntilAsync(client, stopWriter.Token);
        var rejoins = new List<double>();
        long bytes = 0;
        int victim = cluster.Cluster.Groups[0][^1].Id;
        try
        {
            for (int r = 0; r < repeats; r++)
            {
                cluster.CrashDataNode(victim);
                DataNode node = cluster.StartDataNode(victim);
                DataNodeReady ready = await node.Serving.WaitAsync(TimeSpan.FromSeconds(120), cancellation);
                rejoins.Add(ready.Rejoin.TotalMicroseconds);
                bytes = ready.TransferBytes;
            }
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writer;
        }
        await RequireIdenticalAsync(cluster, cancellation);
        float[] managerSide = await client.RejoinTimesAsync();
        rejoins.Sort();
        Array.Sort(managerSide);
        return new Result(faults, bits, rejoins[rejoins.Count / 2], managerSide.Length == 0 ? double.NaN : managerSide[managerSide.Length / 2], bytes, repeats);
    }

    /// <summary>Once writes stop, every replica of the group, the rejoined one included, must hold the same list.</summary>
    private static async Task RequireIdenticalAsync(InProcessReplication cluster, CancellationToken cancellation)
    {
        string last = "";
        for (int attempt = 0; attempt < 200; attempt++)
        {
            var snapshots = cluster.Cluster.Groups[0].Select(n => cluster.DataNode(n.Id).Snapshot()).ToArray();
            if (snapshots.All(s => s is { } x && snapshots[0] is { } y && x.Length == y.Length && x.Position == y.Position && x.Words.AsSpan().SequenceEqual(y.Words)))
                return;
            last = string.Join(", ", snapshots.Select(s => s is { } x ? $"{x.Length} bits at {x.Position}" : "not serving"));
            await Task.Delay(10, cancellation);
        }
        throw new InvalidOperationException($"the replicas differ after the rejoins: {last}");
    }

    /// <summary>
    /// Keeps the group busy. A crash makes two answers legal besides Applied (docs/replication.md): NotDone, and
    /// Unknown for a write the crashed replica may have delivered; the load goes on through both.
    /// </summary>
    private static async Task WriteUntilAsync(BitListClient client, CancellationToken stop)
    {
        var random = new Random(7);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await client.AppendAsync(random.Next(2) == 1);
            }
            catch (RemoteException e) when (e.Code is ErrorCode.Unknown or ErrorCode.NotDone)
            {
                // Legal under a crash; the next write goes on.
            }
        }
    }
}
