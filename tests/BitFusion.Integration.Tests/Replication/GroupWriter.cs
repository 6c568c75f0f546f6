using BitFusion.Harness;
using BitFusion.Integration.Tests.Workload;
using BitFusion.Net.Client;
using BitFusion.Net.Wire;

namespace BitFusion.Integration.Tests.Replication;

/// <summary>
/// One client writing to one group through a manager, one write at a time, with a read now and then. Its writes
/// interleave with the other writers' of the group (through other managers), so it picks indices from the last
/// count it heard, and the replicas may refuse one as out of range at its turn. When its manager dies it records
/// the write in flight as unknown and moves to another manager. Every decision comes from its seeded generator.
/// </summary>
internal sealed class GroupWriter(ReplicationCluster cluster, GroupLedger ledger, int preferredManager, int seed)
{
    private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly Random _rng = new(seed);
    private ManagerChannel? _channel;
    private NodeProcess? _manager;
    private int _killsAtConnect;
    private int _count;

    public int Writes { get; private set; }

    public int Reconnects { get; private set; }

    public override string ToString() =>
        $"writer of group {ledger.Group} via {_manager?.ToString() ?? "no manager"}: {Writes} writes, {Reconnects} reconnects";

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (_rng.Next(16) == 0) await ReadAsync().ConfigureAwait(false);
            else await WriteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteAsync()
    {
        Operation op = Operation.Random(_rng, _count);
        ManagerChannel channel = await ChannelAsync().ConfigureAwait(false);
        Writes++;
        try
        {
            WriteReceipt receipt = await channel.WriteAsync(op).WaitAsync(OpTimeout).ConfigureAwait(false);
            ledger.Ack(op, receipt);
            _count = (int)receipt.Value;
        }
        catch (RemoteException e) when (e.Code == ErrorCode.OutOfRange)
        {
            ledger.Refuse();
        }
        catch (RemoteException e) when (e.Code == ErrorCode.NotReady)
        {
            // The manager is not in a view yet (it restarted): the write was never multicast.
            await Task.Delay(20).ConfigureAwait(false);
        }
        catch (RemoteException e) when (e.Code == ErrorCode.NotDone)
        {
            // Every replica left before the write was ordered: not applied.
            ledger.Refuse();
        }
        catch (RemoteException e) when (e.Code == ErrorCode.Unknown)
        {
            // Ordered, but every replica that computed its result left before reporting it.
            ledger.Unknown(op);
        }
        catch (IOException e)
        {
            ledger.Unknown(op);
            Lost(e);
        }
        catch (TimeoutException)
        {
            throw new WorkloadException($"{this}: {op} got no answer within {OpTimeout.TotalSeconds:0} s.");
        }
    }

    private async Task ReadAsync()
    {
        ManagerChannel channel = await ChannelAsync().ConfigureAwait(false);
        long before = ledger.HighestAcked;
        try
        {
            BitsResult read = await channel.ReadAllAsync().WaitAsync(OpTimeout).ConfigureAwait(false);
            ledger.Read(read, before);
            _count = (int)read.Length;
        }
        catch (RemoteException e) when (e.Code == ErrorCode.NotReady)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            Lost(e);
        }
        catch (TimeoutException)
        {
            throw new WorkloadException($"{this}: a read got no answer within {OpTimeout.TotalSeconds:0} s.");
        }
    }

    private void Lost(IOException error)
    {
        if (_manager is not null && _manager.Kills == _killsAtConnect)
            throw new WorkloadException($"The connection to {_manager} dropped although nobody killed it: {error.Message}. {this}", error);
        _channel?.Dispose();
        _channel = null;
        Reconnects++;
    }

    /// <summary>
    /// The preferred manager while it serves, else any other that does; back to the preferred one once it serves
    /// again (a restarted manager multicasts under a new sender id).
    /// </summary>
    private async Task<ManagerChannel> ChannelAsync()
    {
        NodeProcess preferred = cluster.Managers[preferredManager];
        if (_channel is { IsConnected: true } live && (_manager == preferred || preferred.Ready is null || !preferred.IsRunning)) return live;
        _channel?.Dispose();
        _channel = null;
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        while (true)
        {
            NodeProcess? manager = cluster.Managers.Skip(preferredManager).Concat(cluster.Managers.Take(preferredManager))
                .FirstOrDefault(m => m.IsRunning && m.Ready is not null);
            if (manager is not null)
            {
                _killsAtConnect = manager.Kills;
                try
                {
                    _channel = await ManagerChannel.ConnectAsync(cluster.EndPointOf(manager.Id), cluster.IdentityOf(manager.Id), cluster.Key, (ushort)(2000 + ledger.Group * 16 + preferredManager),
                        ledger.Group, timeout.Token).ConfigureAwait(false);
                    _manager = manager;
                    return _channel;
                }
                catch (OperationCanceledException)
                {
                    throw new WorkloadException($"Could not reach {manager} within {ConnectTimeout.TotalSeconds:0} s. {this}");
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or Net.Protocol.ProtocolException)
                {
                    // It died while we connected; pick again.
                }
            }
            await Task.Delay(20, timeout.Token).ConfigureAwait(false);
        }
    }

    public void Disconnect()
    {
        _channel?.Dispose();
        _channel = null;
    }
}
