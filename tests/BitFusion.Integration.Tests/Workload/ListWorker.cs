using BitFusion.Harness;
using BitFusion.Net.Client;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// The one client of one primary's list. It sends batches of random writes, pipelined, and checks every
/// acknowledgement against its model. When the connection dies because the primary was killed, the writes it had
/// not seen acknowledged are uncertain: they may or may not have survived. Acknowledgements come in seq order and
/// the primary applies writes in that order, so the recovered list must be the model plus some prefix of the
/// unacknowledged writes, and its seq says how long that prefix is. The worker reconnects, reads the recovered
/// list, and checks it is exactly that.
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

        int acked = 0;
        Exception? lost = null;
        for (int i = 0; i < size; i++)
        {
            long value;
            try
            {
                value = await replies[i].WaitAsync(OpTimeout).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                lost = e;
                break;
            }
            catch (TimeoutException)
            {
                throw new WorkloadException($"{Primary}: {ops[i]} (write {Model.Seq + 1}) got no answer within {OpTimeout.TotalSeconds:0} s. {this}");
            }
            catch (RemoteException e)
            {
                throw new WorkloadException($"{Primary}: {ops[i]} on a list of {Model.Count} bits was refused: {e.Code}: {e.Message}. {this}");
            }
            if (value != expected[i])
                throw new WorkloadException($"{Primary}: {ops[i]} answered count {value}, expected {expected[i]}. {this}");
            Model.Apply(ops[i]);
            acked++;
            Acked++;
        }
        if (lost is null) return;
        for (int i = acked + 1; i < size; i++)
        {
            try
            {
                await replies[i].WaitAsync(OpTimeout).ConfigureAwait(false);
                throw new WorkloadException($"{Primary}: write {i} of a batch was acknowledged after write {acked} failed ({lost.Message}).");
            }
            catch (IOException)
            {
                // Expected: the connection is gone, so every later write of the batch fails too.
            }
        }
        ConnectionLost(lost);
        await ResolveAsync(ops, acked, "recovery").ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the list (reconnecting as often as the primary dies meanwhile) and requires it to be the model plus
    /// ops[from..from+k) for some k ≥ 0, where k = the list's seq − the model's seq; then adopts that.
    /// </summary>
    private async Task ResolveAsync(Operation[] ops, int from, string why)
    {
        BitsResult read;
        while (true)
        {
            BitListClient client = await ClientAsync().ConfigureAwait(false);
            try
            {
                read = await client.ReadAllAsync().WaitAsync(OpTimeout).ConfigureAwait(false);
                break;
            }
            catch (IOException e)
            {
                ConnectionLost(e);
            }
            catch (TimeoutException)
            {
                throw new WorkloadException($"{Primary}: a read ({why}) got no answer within {OpTimeout.TotalSeconds:0} s. {this}");
            }
        }
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
