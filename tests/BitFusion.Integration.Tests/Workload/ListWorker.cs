using BitFusion.Harness;
using BitFusion.Net.Client;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// The one client of one primary's list. It sends batches of random writes, pipelined, and checks every
/// acknowledgement against its model. When the connection dies because the primary was killed, the writes it had
/// not seen acknowledged are uncertain: they may or may not have survived. Acknowledgements come in seq order and
/// the primary applies writes in that order, so the recovered list must be the model plus some prefix of the
/// unacknowledged writes, and its seq says how long that prefix is. The worker reconnects, reads the recovered
/// list, and checks it is exactly that. While a backup is suspected, writes are refused (not done) or end as
/// unknown; the list must then hold the acknowledged writes, no refused one, and some of the unknown ones.
/// </summary>
internal sealed class ListWorker(FusionCluster cluster, NodeProcess primary, int seed, int maxBatch)
{
    private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(90);

    private readonly Random _rng = new(seed);
    private BitListClient? _client;
    private int _killsAtConnect;

    public NodeProcess Primary { get; } = primary;

    public BitModel Model { get; private set; } = new();

    public long Acked { get; private set; }

    public int Batches { get; private set; }

    /// <summary>Times the worker found its primary restarted and checked the recovered list.</summary>
    public int Recoveries { get; private set; }

    public int UncertainKept { get; private set; }

    public int UncertainLost { get; private set; }

    public override string ToString() =>
        $"list of {Primary}: {Model.Count} bits at seq {Model.Seq}; {Acked} writes acknowledged in {Batches} batches; " +
        $"{Recoveries} recoveries checked; uncertain writes kept {UncertainKept}, lost {UncertainLost}";

    /// <summary>Writes until <paramref name="stop"/> fires, finishing (and resolving) the batch in hand.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await RunBatchAsync().ConfigureAwait(false);
            if (Batches % 64 == 0) await CheckAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads the whole list and requires it to equal the model; reconnects (and checks recovery) if the primary died.</summary>
    public Task CheckAsync() => ResolveAsync([], 0, "check");

    private async Task RunBatchAsync()
    {
        if (_client is { IsConnected: false })
        {
            // The primary died between batches: nothing was uncertain, so the recovered list must equal the model.
            ConnectionLost(new IOException("connection closed between batches"));
            await CheckAsync().ConfigureAwait(false);
        }
        Batches++;
        int size = _rng.Next(1, maxBatch + 1);
        var ops = new Operation[size];
        var expected = new int[size];
        int count = Model.Count;
        for (int i = 0; i < size; i++)
        {
            ops[i] = Operation.Random(_rng, count);
            expected[i] = count = ops[i].CountAfter(count);
        }
        BitListClient client = await ClientAsync().ConfigureAwait(false);
        var replies = new Task<long>[size];
        for (int i = 0; i < size; i++) replies[i] = ops[i].SendAsync(client).AsTask();

        var answers = new Answer[size];
        var values = new long[size];
        Exception? lost = null;
        int lostAt = size;
        for (int i = 0; i < size; i++)
        {
            if (lost is not null)
            {
                try
                {
                    await replies[i].WaitAsync(OpTimeout).ConfigureAwait(false);
                    throw new WorkloadException($"{Primary}: write {i} of a batch was acknowledged after an earlier one failed ({lost.Message}).");
                }
                catch (IOException)
                {
                    // Expected: the connection is gone, so every later write of the batch fails too.
                }
                answers[i] = Answer.Maybe;
                continue;
            }
            try
            {
                values[i] = await replies[i].WaitAsync(OpTimeout).ConfigureAwait(false);
                answers[i] = Answer.Acked;
            }
            catch (IOException e)
            {
                lost = e;
                lostAt = i;
                answers[i] = Answer.Maybe;
            }
            catch (TimeoutException)
            {
                throw new WorkloadException($"{Primary}: {ops[i]} (write {Model.Seq + 1}) got no answer within {OpTimeout.TotalSeconds:0} s. {this}");
            }
            catch (RemoteException e) when (e.Code == ErrorCode.NotDone)
            {
                answers[i] = Answer.Refused;
            }
            catch (RemoteException e) when (e.Code == ErrorCode.Unknown)
            {
                answers[i] = Answer.Maybe;
            }
            // A write behind one that was not applied may find its index out of range; the search below checks that.
            catch (RemoteException e) when (e.Code == ErrorCode.OutOfRange && answers.AsSpan(0, i).ContainsAnyExcept(Answer.Acked))
            {
                answers[i] = Answer.Refused;
            }
            catch (RemoteException e)
            {
                throw new WorkloadException($"{Primary}: {ops[i]} on a list of {Model.Count} bits was refused: {e.Code}: {e.Message}. {this}");
            }
        }
        if (!answers.AsSpan().ContainsAnyExcept(Answer.Acked))
        {
            for (int i = 0; i < size; i++)
            {
                if (values[i] != expected[i])
                    throw new WorkloadException($"{Primary}: {ops[i]} answered count {values[i]}, expected {expected[i]}. {this}");
                Model.Apply(ops[i]);
                Acked++;
            }
            return;
        }
        if (lost is not null) ConnectionLost(lost);
        await ResolveAnswersAsync(ops, answers, values, lostAt).ConfigureAwait(false);
    }

    private enum Answer : byte
    {
        Acked,

        /// <summary>Not done (or out of range behind a write that was not applied): not applied.</summary>
        Refused,

        /// <summary>Unknown, or no answer before the connection died: applied or not.</summary>
        Maybe,
    }

    /// <summary>
    /// A batch with answers other than acknowledgements: a suspected backup made the primary refuse writes (not done)
    /// or end them as unknown, and later writes may have been applied after the backup came back. The list read back
    /// must be the model plus every acknowledged write (each answering the count it produced), no refused write, and
    /// some of the uncertain ones, in order; with at most a batch of writes, every choice is tried. Of the writes
    /// left unanswered when the connection died (from <paramref name="lostAt"/> on), only a prefix can have survived.
    /// </summary>
    private async Task ResolveAnswersAsync(Operation[] ops, Answer[] answers, long[] values, int lostAt)
    {
        BitsResult read = await ReadListAsync("after writes refused or unknown").ConfigureAwait(false);
        int[] maybe = Enumerable.Range(0, ops.Length).Where(i => answers[i] == Answer.Maybe).ToArray();
        for (int mask = 0; mask < 1 << maybe.Length; mask++)
        {
            if (!PrefixOfLost(maybe, mask, lostAt)) continue;
            BitModel candidate = Model.Clone();
            bool fits = true;
            for (int i = 0; i < ops.Length && fits; i++)
            {
                int m = Array.IndexOf(maybe, i);
                if (answers[i] == Answer.Refused || m >= 0 && (mask & (1 << m)) == 0) continue;
                fits = ops[i].ValidFor(candidate.Count);
                if (!fits) break;
                candidate.Apply(ops[i]);
                fits = answers[i] != Answer.Acked || values[i] == candidate.Count;
            }
            if (!fits || candidate.Difference(read.Words, read.Length, read.Seq) is not null) continue;
            Model = candidate;
            int kept = System.Numerics.BitOperations.PopCount((uint)mask);
            Acked += answers.Count(a => a == Answer.Acked);
            UncertainKept += kept;
            UncertainLost += maybe.Length - kept;
            return;
        }
        throw new WorkloadException(
            $"{Primary}: the list read back (seq {read.Seq}, {read.Length} bits) is not the acknowledged writes plus some of the uncertain ones of " +
            $"[{string.Join(", ", ops.Select((o, i) => $"{o}: {answers[i]}{(answers[i] == Answer.Acked ? $" {values[i]}" : "")}"))}]. {this}");
    }

    /// <summary>
    /// Reads the list (reconnecting as often as the primary dies meanwhile) and requires it to be the model plus
    /// ops[from..from+k) for some k ≥ 0, where k = the list's seq − the model's seq; then adopts that.
    /// </summary>
    private async Task ResolveAsync(Operation[] ops, int from, string why)
    {
        BitsResult read = await ReadListAsync(why).ConfigureAwait(false);
        long applied = read.Seq - Model.Seq;
        int uncertain = ops.Length - from;
        if (applied < 0)
            throw new WorkloadException($"{Primary} ({why}): the list is at seq {read.Seq}, but {Model.Seq} writes were acknowledged: acknowledged writes were lost. {this}");
        if (applied > uncertain)
            throw new WorkloadException($"{Primary} ({why}): the list is at seq {read.Seq}, past the {Model.Seq} acknowledged + {uncertain} unacknowledged writes. {this}");
        BitModel candidate = Model.Clone();
        for (int i = 0; i < applied; i++) candidate.Apply(ops[from + i]);
        if (candidate.Difference(read.Words, read.Length, read.Seq) is { } difference)
            throw new WorkloadException(
                $"{Primary} ({why}): the list read back differs from the acknowledged writes plus the first {applied} of " +
                $"{uncertain} unacknowledged ones [{string.Join(", ", ops.Skip(from))}]: {difference}. {this}");
        Model = candidate;
        UncertainKept += (int)applied;
        UncertainLost += uncertain - (int)applied;
    }

    private static bool PrefixOfLost(int[] maybe, int mask, int lostAt)
    {
        bool dropped = false;
        for (int m = 0; m < maybe.Length; m++)
        {
            if (maybe[m] < lostAt) continue;
            bool kept = (mask & (1 << m)) != 0;
            if (kept && dropped) return false;
            dropped |= !kept;
        }
        return true;
    }

    /// <summary>
    /// The whole list, reconnecting as often as the primary dies meanwhile. A read is refused (not ready) while fewer
    /// backups than minAckBackups stream, and is then retried until a suspected backup is back or the time is up.
    /// </summary>
    private async Task<BitsResult> ReadListAsync(string why)
    {
        long deadline = Environment.TickCount64 + (long)OpTimeout.TotalMilliseconds;
        while (true)
        {
            BitListClient client = await ClientAsync().ConfigureAwait(false);
            try
            {
                return await client.ReadAllAsync().WaitAsync(OpTimeout).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                ConnectionLost(e);
            }
            catch (RemoteException e) when (e.Code == ErrorCode.NotReady && Environment.TickCount64 < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new WorkloadException($"{Primary}: a read ({why}) got no answer within {OpTimeout.TotalSeconds:0} s. {this}");
            }
        }
    }

    private void ConnectionLost(Exception error)
    {
        if (Primary.Kills == _killsAtConnect)
            throw new WorkloadException($"The connection to {Primary} dropped although nobody killed it: {error.Message}. {this}", error);
        _client?.Dispose();
        _client = null;
        Recoveries++;
    }

    private async Task<BitListClient> ClientAsync()
    {
        if (_client is { IsConnected: true } live) return live;
        _client?.Dispose();
        _client = null;
        _killsAtConnect = Primary.Kills;
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            _client = await BitListClient.ConnectAsync(cluster.EndPointOf(Primary.Id), cluster.Key, cluster.IdentityOf(Primary.Id),
                (ushort)(1000 + Primary.Id), cancellation: timeout.Token, timeout: OpTimeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new WorkloadException($"Could not reach {Primary} within {ConnectTimeout.TotalSeconds:0} s. {this}");
        }
        return _client;
    }

    public void Disconnect()
    {
        _client?.Dispose();
        _client = null;
    }
}
