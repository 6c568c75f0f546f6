using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

internal sealed partial class SkeenSimulation
{
    /// <summary>A data node process: the state machine plus the "application", its log of applied messages.</summary>
    private sealed class SimReceiver : ISkeenReceiverOutput<int>
    {
        private readonly SkeenSimulation _sim;

        public SimReceiver(SkeenSimulation sim, int node, int group, long incarnation)
        {
            _sim = sim;
            Node = node;
            Group = group;
            Skeen = sim._options.BuggyDelivery
                ? new SkeenReceiver<int>(node, incarnation, this, DeliveryRule.SmallestFinalIgnoringTentative)
                : new SkeenReceiver<int>(node, incarnation, this);
        }

        public int Node { get; }
        public int Group { get; }
        public SkeenReceiver<int> Skeen { get; }
        public bool Alive { get; set; } = true;
        public List<(MessageId Id, long Timestamp)> Log { get; private set; } = new();
        public int TransferredPrefix { get; private set; }

        public void OnView(SkeenView view, int[] openRecoveries)
        {
            if (!Alive) return;
            ViewOutcome outcome = Skeen.InstallView(view);
            if (outcome == ViewOutcome.JoinAborted) _sim.OnJoinAborted(this);
            if (outcome is ViewOutcome.Excluded) _sim.Fail($"live node {Node} excluded by {view}");
            if (Skeen.IsStopped) return;
            foreach (int dead in openRecoveries)
            {
                if (Skeen.View!.ContainsSender(dead)) continue;
                OrphanReport report = Skeen.ReportOrphans(dead);
                _sim._net.Send(this, _sim._coordinator, () => _sim.OnReport(report));
            }
        }

        public void OnDecision(RecoveryDecision decision)
        {
            if (!Alive || Skeen.IsStopped) return;
            Skeen.ApplyRecovery(decision);
            CheckAborted();
        }

        public void OnData(in DataMessage<int> message) => Count(Skeen.OnData(message), message);

        public void OnFinal(in FinalMessage message) => Count(Skeen.OnFinal(message), message);

        public void Propose(int sender, in ProposalMessage proposal)
        {
            SimSender s = _sim._senders[sender];
            ProposalMessage p = proposal;
            _sim._net.Send(this, s, () =>
            {
                if (s.Alive) s.Skeen.OnProposal(Node, p);
            });
        }

        public void Deliver(MessageId id, long timestamp, int payload)
        {
            if (!_sim._finals.TryGetValue(id, out HashSet<long>? finals) || !finals.Contains(timestamp))
                _sim.Fail($"node {Node} delivered {id} at {timestamp}, which no sender or recovery decided as final");
            Log.Add((id, timestamp));
            _sim.Stats.Delivered++;
        }

        public void Discard(MessageId id, int payload, DiscardReason reason)
        {
            if (reason == DiscardReason.InTransferredState) _sim.Stats.ReflectedDrops++;
        }

        public void TransferReady(int joiner, SkeenTransfer transfer)
        {
            // A transfer for an incarnation that died meanwhile finds no taker.
            SimReceiver target = _sim._receivers[joiner];
            if (target.Skeen.Incarnation != transfer.JoinEpoch) return;
            (MessageId, long)[] snapshot = Log.ToArray();
            _sim._net.Send(this, target, () =>
            {
                if (!target.Alive || target.Skeen.IsStopped) return;
                target.Log = new List<(MessageId, long)>(snapshot);
                target.TransferredPrefix = snapshot.Length;
                target.Skeen.InstallTransfer(transfer);
                _sim.Stats.Transfers++;
                target.CheckAborted();
            });
        }

        private void Count<T>(ReceiveOutcome outcome, T message)
        {
            if (outcome == ReceiveOutcome.Duplicate) _sim.Stats.Duplicates++;
            if (outcome == ReceiveOutcome.Invalid) _sim.Fail($"node {Node}@{Skeen.Incarnation} found {message} invalid");
            CheckAborted();
        }

        private void CheckAborted()
        {
            if (Skeen.StopReason != ViewOutcome.JoinAborted || !Alive) return;
            _sim.Stats.PoisonedJoins++;
            _sim.OnJoinAborted(this);
        }
    }

    /// <summary>A manager process.</summary>
    private sealed class SimSender : ISkeenSenderOutput<int>
    {
        private readonly SkeenSimulation _sim;

        public SimSender(SkeenSimulation sim, int id)
        {
            _sim = sim;
            Id = id;
            Skeen = new SkeenSender<int>(id, this);
        }

        public int Id { get; }
        public SkeenSender<int> Skeen { get; }
        public bool Alive { get; set; } = true;
        public bool CrashArmed { get; set; }

        public void OnView(SkeenView view)
        {
            if (Alive) Skeen.InstallView(view);
        }

        public void SendData(int node, in DataMessage<int> message)
        {
            SimReceiver r = _sim._receivers[node];
            DataMessage<int> m = message;
            _sim._net.Send(this, r, () =>
            {
                if (r.Alive) r.OnData(m);
            });
        }

        public void SendFinal(int node, in FinalMessage message)
        {
            SimReceiver r = _sim._receivers[node];
            FinalMessage m = message;
            _sim._net.Send(this, r, () =>
            {
                if (r.Alive) r.OnFinal(m);
            });
        }

        public void SendMarker(int node, in EpochMarker marker)
        {
            SimReceiver r = _sim._receivers[node];
            EpochMarker m = marker;
            _sim._net.Send(this, r, () =>
            {
                if (r.Alive) r.Skeen.OnMarker(m);
            });
        }

        public void Completed(MessageId id, long timestamp, int payload)
        {
            _sim._completed[id] = timestamp;
            _sim.FinalDecided(id, timestamp);
            if (!CrashArmed) return;
            CrashArmed = false;
            _sim._net.At(_sim._net.Now, () => _sim.CrashSender(this));
        }

        public void Abandoned(MessageId id, int payload) => _sim._abandoned.Add(id);
    }
}
