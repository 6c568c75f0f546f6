using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

internal sealed partial class ClusterSimulation
{
    /// <summary>One life of a data node: its machine, and the "application" — the log of writes applied, in order.</summary>
    internal sealed class SimDataNode : SimProcess, ISimAcceptor, IDataNodeOutput<int>
    {
        private readonly ClusterSimulation _sim;
        private readonly Dictionary<int, SimLink> _managers = [];
        private (ulong Life, SkeenTransfer Transfer, int[] Log)? _early;

        public SimDataNode(ClusterSimulation sim, int node, int group) : base(node)
        {
            _sim = sim;
            Group = group;
            Member = new DataNodeMember<int>(node, group, sim.NewLife, this, sim._options.Window, sim.Lease, pushRetryDelay: 10);
            sim.Trace($"node {node} starts as life {Member.Life}");
            ScheduleRenewal();
        }

        /// <summary>Asks for read leases every <see cref="ReadLease.RenewEvery"/>, as <c>DataNode</c> does, while reads may still come.</summary>
        private void ScheduleRenewal() => _sim.RunAt(this, _sim.Now + _sim.Lease.RenewEvery, () =>
        {
            if (!_sim.ReadsMayCome) return;
            Member.RenewLease();
            ScheduleRenewal();
        });

        public int Group { get; }

        public DataNodeMember<int> Member { get; }

        public List<int> Log { get; private set; } = [];

        public void OnAccepted(SimLink link)
        {
            _managers[link.Dialer.Node] = link;
            Member.ManagerConnected(link.Dialer.Node);
            TakeEarlyTransfer();
        }

        public override void OnLinkClosed(SimLink link)
        {
            int manager = link.Dialer.Node;
            if (_managers.GetValueOrDefault(manager) != link) return;
            _managers.Remove(manager);
            Member.ManagerClosed(manager);
        }

        /// <summary>Runs a manager's frame if it came on that manager's current connection, then takes a transfer that arrived early.</summary>
        public void FromManager(int manager, SimLink link, Action action)
        {
            if (_managers.GetValueOrDefault(manager) != link) return;
            action();
            TakeEarlyTransfer();
        }

        public void Count<T>(ReceiveOutcome outcome, T message)
        {
            if (Environment.GetEnvironmentVariable("BITFUSION_SIM_WIRE") is not null) _sim.Trace($"node {Node} got {message}: {outcome}, pending {Member.Skeen?.PendingCount}");
            if (outcome == ReceiveOutcome.Invalid) _sim.Fail($"node {Node} (life {Member.Life}) found {message} invalid");
        }

        /// <summary>A relayed read: served (and checked) while caught up, else answered "not ready" so the manager tries another replica.</summary>
        public void OnRead(int manager, SimLink link, ulong readId, long sentAt) => FromManager(manager, link, () =>
        {
            bool serving = Member.MayServeRead(_sim.Now);
            if (Environment.GetEnvironmentVariable("BITFUSION_SIM_WIRE") is not null)
                _sim.Trace($"node {Node} gets read {readId} from {manager}: {(serving ? "served" : "not served")}");
            if (serving) _sim.CheckRead(this, sentAt);
            else if (Member.IsServing) _sim.Stats.ReadsWithoutLease++;
            if (_managers.TryGetValue(manager, out SimLink? back))
                _sim.Send(back, this, () => ((SimManager)back.Dialer).OnReadReply(Node, back, readId, notReady: !serving), _sim._replyRng);
        });

        private void TakeEarlyTransfer()
        {
            if (_early is not { } e || !Member.WantsTransfer(e.Life, e.Transfer)) return;
            _early = null;
            Install(e.Transfer, e.Log);
        }

        private void Install(SkeenTransfer transfer, int[] log)
        {
            Log = [.. log];
            _sim.Stats.Transfers++;
            Member.InstallTransfer(transfer);
        }

        private void OnTransfer(ulong life, SkeenTransfer transfer, int[] log)
        {
            if (Member.WantsTransfer(life, transfer)) Install(transfer, log);
            else if (life == Member.Life && Member.Skeen is null) _early = (life, transfer, log);
        }

        private void ToManager(int manager, Action<SimManager, SimLink> deliver, Random? delays = null)
        {
            if (!_managers.TryGetValue(manager, out SimLink? link)) return;
            var m = (SimManager)link.Dialer;
            _sim.Send(link, this, () => deliver(m, link), delays);
        }

        // ---- the machine's effects ----

        public void SendStatus(int manager)
        {
            NodeStatus status = Member.Status(Log.Count, Log.Count);
            ToManager(manager, (m, link) => m.OnStatus(Node, link, status));
        }

        public void SendProposal(int manager, in ProposalMessage proposal)
        {
            ProposalMessage p = proposal;
            ToManager(manager, (m, link) => m.OnProposal(Node, link, p));
        }

        public void SendOrphanReport(int manager, OrphanReport report)
        {
            _sim.Stats.OrphanReports++;
            ToManager(manager, (m, link) => m.OnOrphanReport(Node, link, report));
        }

        /// <summary>Confirmations of installed views draw their delays apart, so they do not shift a seed's faults.</summary>
        public void SendViewReport(int manager, ulong queryId, ClusterView? view) =>
            ToManager(manager, (m, link) => m.OnViewReport(Node, link, queryId, view), queryId == TakeoverQuery.Installed ? _sim._confirmRng : null);

        /// <summary>Stamped now, as <c>DataNode</c> stamps it when it encodes the frame; its delays draw apart so they do not shift a seed's faults.</summary>
        public void RequestLease(int manager, ulong life)
        {
            if (!_managers.TryGetValue(manager, out SimLink? link)) return;
            var m = (SimManager)link.Dialer;
            long sentAt = _sim.Now;
            _sim.Send(link, this, () => m.OnLeaseRequest(Node, link, life, sentAt), _sim._leaseRng);
        }

        public void OnLeaseGrant(int manager, SimLink link, ulong life, long sentAt) =>
            FromManager(manager, link, () => Member.LeaseGranted(manager, life, sentAt));

        public void Admitted(long incarnation, int donor)
        {
            _sim.Trace($"node {Node} life {Member.Life} admitted in {incarnation} from {donor}");
            Log = [];
            if (donor != ViewMember.NoDonor) _sim.Stats.Rejoins++;
        }

        public DeliveryReport Deliver(MessageId id, long timestamp, int payload)
        {
            if (Log.Contains(payload)) _sim.Fail($"node {Node} applied write {payload} ({id}) twice");
            Log.Add(payload);
            _sim.Stats.Delivered++;
            return new DeliveryReport(id, DeliveryStatus.Applied, Log.Count, Log.Count);
        }

        public void Discard(MessageId id, int payload, DiscardReason reason)
        {
        }

        public void SendDelivered(int manager, in DeliveryReport report)
        {
            DeliveryReport r = report;
            if (Environment.GetEnvironmentVariable("BITFUSION_SIM_WIRE") is not null) _sim.Trace($"node {Node} reports {r} to {manager}");
            ToManager(manager, (m, link) => m.OnDelivered(Node, link, r));
        }

        public void TransferReady(int joiner, ulong joinerLife, SkeenTransfer transfer)
        {
            int[] snapshot = [.. Log];
            SimProcess? target = _sim.Current(joiner);
            if (target is not SimDataNode j || !j.Alive)
            {
                // Nothing answers at the joiner's address: the adapter's push fails, and the machine decides whether to cut again.
                _sim.RunAt(this, _sim.Now + 20, () => Member.PushFailed(joiner, joinerLife, _sim.Now));
                return;
            }
            if (_sim._options.LinkDrops > 0 && _sim._rng.Next(4) == 0)
            {
                // The push's connection broke: the machine cuts again after its delay, while the joiner still waits.
                _sim.Stats.TransfersLost++;
                _sim.RunAt(this, _sim.Now + 20 + _sim._rng.Next(50), () => Member.PushFailed(joiner, joinerLife, _sim.Now));
                return;
            }
            _sim._net.Send(this, j, () => _sim.Run(j, () =>
            {
                j.OnTransfer(joinerLife, transfer, snapshot);
                // The joiner confirms what it received, as DataNode does.
                _sim._net.Send(j, this, () => _sim.Run(this, () => Member.PushConfirmed(joiner, joinerLife)), _sim._replyRng);
            }));
            // DataNode's push gives up when no confirmation comes (the joiner died or stalled); once confirmed, this is moot.
            _sim.RunAt(this, _sim.Now + PushTimeout, () => Member.PushFailed(joiner, joinerLife, _sim.Now));
        }

        /// <summary>Longer than a push and its confirmation take with the longest delays and a pause between them.</summary>
        private const long PushTimeout = 1_500;

        public void Wake(long time) => _sim.RunAt(this, time, () => Member.Tick(_sim.Now));

        public void Serving() => _sim.Trace($"node {Node} life {Member.Life} serving with {Log.Count} writes");

        public void StartedOver(string reason)
        {
            _sim.Trace($"node {Node} starts over as life {Member.Life}: {reason}");
            _sim.Stats.StartOvers++;
            Log = [];
            _early = null;
        }

        void IDataNodeOutput<int>.Log(string message, bool warning) => _sim.Trace($"node {Node}: {message}");
    }
}
