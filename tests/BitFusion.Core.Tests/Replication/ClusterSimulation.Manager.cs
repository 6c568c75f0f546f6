using BitFusion.Core.Fusion.Roles;
using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

internal sealed partial class ClusterSimulation
{
    /// <summary>
    /// One life of a manager: its membership machine, Skeen sender, write machine and read relay, wired as
    /// <c>ManagerNode</c> wires them (a data node's link carries multicasts and reads only once synced for the life the
    /// view admits), plus the writes and reads it waits on.
    /// </summary>
    internal sealed class SimManager : SimProcess, ISimAcceptor, IManagerMembershipOutput, ISkeenSenderOutput<int>, IManagerWritesOutput<SimClient, int>,
        IReadRelayOutput<SimRead>
    {
        private readonly ClusterSimulation _sim;
        private readonly Dictionary<int, SimLink> _nodeLinks = [];
        private readonly Dictionary<int, ulong> _synced = [];
        private readonly Dictionary<int, long> _incarnations = [];
        private readonly Dictionary<int, SimLink> _peerLinks = [];
        private readonly Dictionary<SimLink, int> _incoming = [];
        private readonly List<(SimLink Link, ulong Id, int[] Dead)> _parked = [];
        private SkeenSender<int>? _sender;

        public SimManager(ClusterSimulation sim, int node, Dictionary<int, int> groupOf, List<int> managers) : base(node)
        {
            _sim = sim;
            Membership = new ManagerMembership(node, sim.NewLife(), groupOf.Select(kv => (kv.Key, kv.Value)), managers, sim._options.SuspectAfter, sim.Lease, this);
            Writes = new ManagerWrites<SimClient, int>(sim._options.Window, maxClients: 1024, this);
            Reads = new ReadRelay<SimRead>(this);
        }

        /// <summary>The manager's read relay, as <c>ManagerNode</c> runs it.</summary>
        public ReadRelay<SimRead> Reads { get; }

        /// <summary>Reads a client sent to this manager and has no answer for yet.</summary>
        public HashSet<SimRead> OpenReads { get; } = [];

        /// <summary>The manager's write machine, as <c>ManagerNode</c> runs it.</summary>
        public ManagerWrites<SimClient, int> Writes { get; }

        public ManagerMembership Membership { get; }

        public SkeenSender<int>? Sender => _sender;

        public bool CanWrite => _sender is not null && !Membership.IsExcluded;


        // ---- connections ----

        public void OnConnected(SimLink link, int target)
        {
            if (_sim._groupOf.ContainsKey(target))
            {
                _nodeLinks[target] = link;
                _synced.Remove(target);
                Membership.NodeConnected(target);
            }
            else
            {
                _sim.Trace($"manager {Node} connected to manager {target}");
                _peerLinks[target] = link;
                Membership.PeerConnected(target);
            }
        }

        public void OnRefused(int target)
        {
            if (_sim._groupOf.ContainsKey(target)) Membership.NodeRefused(target);
            else Membership.PeerRefused(target);
        }

        public void OnAccepted(SimLink link)
        {
            _incoming[link] = -1;
            var dialer = (SimManager)link.Dialer;
            int sender = Membership.SenderId;
            ulong life = Membership.Life;
            ClusterView? view = Membership.View;
            _sim.Send(link, this, () => dialer.FromPeer(link, () =>
            {
                _sim.Trace($"manager {dialer.Node} gets hello of {Node}: sender {sender} life {life} view {view?.Epoch}");
                dialer.Membership.PeerHello(Node, sender, life, view);
            }));
        }

        public override void OnLinkClosed(SimLink link)
        {
            _sim.Trace($"manager {Node} sees {link.Dialer.Node}->{link.Acceptor.Node} closed");
            if (_incoming.Remove(link))
            {
                AnswerParked();
                return;
            }
            foreach ((int node, SimLink l) in _nodeLinks)
                if (l == link)
                {
                    _nodeLinks.Remove(node);
                    _synced.Remove(node);
                    Reads.NodeGone(node, Membership.View);
                    Membership.NodeClosed(node, _sim.Now, _sim.Now);
                    _sim.Dial(this, node);
                    return;
                }
            foreach ((int node, SimLink l) in _peerLinks)
                if (l == link)
                {
                    _peerLinks.Remove(node);
                    Membership.PeerClosed(node, _sim.Now, _sim.Now);
                    _sim.Dial(this, node);
                    return;
                }
        }

        private void FromNode(int node, SimLink link, Action action)
        {
            if (_nodeLinks.GetValueOrDefault(node) == link) action();
        }

        private void FromPeer(SimLink link, Action action)
        {
            if (_peerLinks.ContainsValue(link)) action();
        }

        // ---- frames from data nodes ----

        public void OnStatus(int node, SimLink link, NodeStatus status) => FromNode(node, link, () =>
        {
            if (status.Life != Membership.NodeLife(node)) _synced.Remove(node);
            if (Membership.NodeStatusReceived(node, status)) Reads.NodeGone(node, Membership.View);
            Sync(node);
        });

        public void OnProposal(int node, SimLink link, ProposalMessage p) => FromNode(node, link, () =>
        {
            if (Environment.GetEnvironmentVariable("BITFUSION_SIM_WIRE") is not null)
                _sim.Trace($"manager {Node} gets {p} from node {node}{(ReadyLink(node) == link ? "" : " on a link not synced: dropped")}");
            if (ReadyLink(node) == link && _sender is { IsExcluded: false } s && s.OnProposal(node, p) == ReceiveOutcome.Invalid)
                _sim.Fail($"manager {Node} found {p} from node {node} invalid");
            Writes.Pump();
        });

        public void OnDelivered(int node, SimLink link, DeliveryReport report) => FromNode(node, link, () =>
        {
            if (_sender is null || report.Id.Sender != _sender.Id) return;
            Writes.Delivered(report.Id.Seq, node, _incarnations.GetValueOrDefault(node, -1), report);
            Writes.Pump();
        });

        public void OnLeaseRequest(int node, SimLink link, ulong life, long sentAt) => FromNode(node, link, () =>
        {
            bool granted = Membership.LeaseRequested(node, life, _sim.Now);
            if (Environment.GetEnvironmentVariable("BITFUSION_SIM_WIRE") is not null)
                _sim.Trace($"manager {Node} {(granted ? "grants" : "refuses")} node {node} (life {life}) a lease asked at {sentAt}");
            if (!granted) return;
            var d = (SimDataNode)link.Acceptor;
            _sim.Send(link, this, () => d.OnLeaseGrant(Node, link, life, sentAt), _sim._leaseRng);
        });

        public void OnOrphanReport(int node, SimLink link, OrphanReport report) =>
            FromNode(node, link, () => Membership.OrphanReportReceived(report));

        public void OnViewReport(int node, SimLink link, ulong id, ClusterView? view) => FromNode(node, link, () =>
        {
            _sim.Trace($"manager {Node} gets {node}'s answer to query {id}: view {view?.Epoch}");
            Membership.ViewReport(node, id, view);
        });

        // ---- frames from managers on connections they dialed ----

        private void OnIncoming(SimLink link, Action action)
        {
            if (_incoming.ContainsKey(link)) action();
        }

        private void OnQuery(SimLink link, ulong id, int[] dead)
        {
            _sim.Trace($"manager {Node} gets query {id} from {link.Dialer.Node}; incoming senders [{string.Join(' ', _incoming.Values)}]");
            if (_incoming.Values.Any(s => s >= 0 && dead.Contains(s))) _parked.Add((link, id, dead));
            else AnswerQuery(link, id);
        }

        private void AnswerParked()
        {
            for (int i = _parked.Count - 1; i >= 0; i--)
            {
                (SimLink link, ulong id, int[] dead) = _parked[i];
                if (!link.Open) _parked.RemoveAt(i);
                else if (!_incoming.Values.Any(s => s >= 0 && dead.Contains(s)))
                {
                    _parked.RemoveAt(i);
                    AnswerQuery(link, id);
                }
            }
        }

        private void AnswerQuery(SimLink link, ulong id)
        {
            _sim.Trace($"manager {Node} answers query {id} of {link.Dialer.Node} with view {Membership.View?.Epoch}");
            var dialer = (SimManager)link.Dialer;
            ClusterView? view = Membership.View;
            _sim.Send(link, this, () => dialer.FromPeer(link, () =>
            {
                _sim.Trace($"manager {dialer.Node} gets {Node}'s answer to query {id}: view {view?.Epoch}");
                dialer.Membership.ViewReport(Node, id, view);
            }));
        }

        // ---- clients ----

        public void Submit(SimClient client, bool resend) =>
            Writes.Submit(client, 0, new WriteRequest<int>(client.ClientId, 1, resend, client.Group, ListOp.Append, 0, client.Write, _sim.Now));

        public void Read(SimRead read)
        {
            OpenReads.Add(read);
            Reads.Request(read, read.Group, Membership.View);
        }

        public void OnReadReply(int node, SimLink link, ulong readId, bool notReady) => FromNode(node, link, () =>
        {
            if (!Reads.Answered(node, readId, notReady, Membership.View, out SimRead read)) return;
            OpenReads.Remove(read);
            _sim.Stats.ReadsServed++;
        });

        bool IReadRelayOutput<SimRead>.CanServe(int node) =>
            ReadyLink(node) is not null && Membership.TryGetStatus(node, out NodeStatus s) && s.Phase == NodePhase.Serving
            && s.Life == _synced.GetValueOrDefault(node);

        void IReadRelayOutput<SimRead>.SendRead(int node, ulong readId, SimRead read)
        {
            if (ReadyLink(node) is not { } link) return;
            var d = (SimDataNode)link.Acceptor;
            _sim.Send(link, this, () => d.OnRead(Node, link, readId, read.SentAt));
        }

        void IReadRelayOutput<SimRead>.Refuse(SimRead read, int group)
        {
            OpenReads.Remove(read);
            _sim.Stats.ReadsRefused++;
        }

        // ---- the adapter's part: node links synced per life ----

        private SimLink? ReadyLink(int node) =>
            _nodeLinks.TryGetValue(node, out SimLink? link) && _synced.TryGetValue(node, out ulong life) && life == Membership.View?.ReceiverLife(node)
                ? link
                : null;

        private void Sync(int node)
        {
            if (_sender is null || Membership.View is not { } view || !_nodeLinks.TryGetValue(node, out SimLink? link)) return;
            ulong life = view.ReceiverLife(node);
            if (life == 0 || Membership.NodeLife(node) != life || _synced.GetValueOrDefault(node) == life) return;
            _synced[node] = life;
            view.Skeen.TryGetReceiver(node, out ViewMember member);
            _incarnations[node] = member.Incarnation;
            SendViewTo(link, view);
            _sender.Resend(node);
        }

        private void SendViewTo(SimLink link, ClusterView view)
        {
            var d = (SimDataNode)link.Acceptor;
            _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Member.ViewReceived(Node, view)));
        }

        // ---- membership effects ----

        public void SendHello(int node, bool toManager, int sender, ClusterView? view)
        {
            if (toManager)
            {
                if (!_peerLinks.TryGetValue(node, out SimLink? link)) return;
                var peer = (SimManager)link.Acceptor;
                _sim.Send(link, this, () => peer.OnIncoming(link, () =>
                {
                    peer._incoming[link] = sender;
                    if (view is not null) peer.Membership.ViewReceived(view);
                }));
            }
            else if (_nodeLinks.TryGetValue(node, out SimLink? link))
            {
                var d = (SimDataNode)link.Acceptor;
                _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Member.ManagerHello(Node, sender)));
            }
        }

        public void SendView(int manager, ClusterView view)
        {
            if (!_peerLinks.TryGetValue(manager, out SimLink? link)) return;
            var peer = (SimManager)link.Acceptor;
            _sim.Send(link, this, () => peer.OnIncoming(link, () => peer.Membership.ViewReceived(view)));
        }

        public void Fence(int node, ClusterView view)
        {
            if (!_nodeLinks.TryGetValue(node, out SimLink? link)) return;
            _sim.Stats.Fences++;
            SendViewTo(link, view);
        }

        public void SendQuery(int node, bool toManager, ulong queryId, int[] deadSenders)
        {
            _sim.Trace($"manager {Node} asks {node} (query {queryId}, dead [{string.Join(' ', deadSenders)}])");
            if (toManager)
            {
                if (!_peerLinks.TryGetValue(node, out SimLink? link)) return;
                var peer = (SimManager)link.Acceptor;
                _sim.Send(link, this, () => peer.OnIncoming(link, () => peer.OnQuery(link, queryId, deadSenders)));
            }
            else if (_nodeLinks.TryGetValue(node, out SimLink? link))
            {
                var d = (SimDataNode)link.Acceptor;
                _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Member.Query(Node, queryId, deadSenders)));
            }
        }

        public void SendVerdicts(int node, RecoveryDecision decision)
        {
            if (ReadyLink(node) is not { } link) return;
            var d = (SimDataNode)link.Acceptor;
            _sim.Stats.Decisions++;
            _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Member.Verdicts(Node, decision)));
        }

        public void SyncAgain(int node, bool now)
        {
            _synced.Remove(node);
            if (now) Sync(node);
        }

        public void Installed(ClusterView view, int admittedAs)
        {
            _sim.Trace($"manager {Node} installs {view}");
            if (admittedAs >= 0)
            {
                _sender = new SkeenSender<int>(admittedAs, this);
                Writes.Sender = _sender;
                foreach (int node in _nodeLinks.Keys) SendHello(node, toManager: false, admittedAs, null);
            }
            foreach ((int node, SimLink link) in _nodeLinks)
                if (_synced.TryGetValue(node, out ulong life) && life == view.ReceiverLife(node)) SendViewTo(link, view);
            _sender!.InstallView(view.Skeen);
            foreach (int node in _nodeLinks.Keys.ToArray()) Sync(node);
            Writes.Settle(view.Skeen);
            Writes.Pump();
        }

        public void HoldWrites(int group, bool hold)
        {
            if (hold)
            {
                Writes.Hold(group);
                return;
            }
            Writes.Release(group);
            Writes.Pump();
        }

        /// <summary>The host exits (code 3) and its supervisor starts it again as a new life.</summary>
        public void Excluded(string reason)
        {
            _sim.Trace($"manager {Node} excluded: {reason}");
            _sim.Stats.ManagerExclusions++;
            Writes.Exclude();
            Writes.Sender = null;
            _sim._net.At(_sim.Now, () =>
            {
                if (!Alive) return;
                _sim.Kill(this);
                _sim._net.At(_sim.Now + 50 + _sim._rng.Next(100), () => _sim.StartManager(Node));
            });
        }

        public void Log(string message, bool warning) => _sim.Trace($"manager {Node}: {message}");

        public void Wake(long time)
        {
            if (time != long.MaxValue) _sim.RunAt(this, time, () => Membership.Tick(_sim.Now));
        }

        // ---- Skeen's effects ----

        public void SendData(int node, in DataMessage<int> message)
        {
            if (ReadyLink(node) is not { } link) return;
            var d = (SimDataNode)link.Acceptor;
            DataMessage<int> m = message;
            _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Count(d.Member.Data(m), m)));
        }

        public void SendFinal(int node, in FinalMessage message)
        {
            if (ReadyLink(node) is not { } link) return;
            var d = (SimDataNode)link.Acceptor;
            FinalMessage m = message;
            _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Count(d.Member.Final(m), m)));
        }

        public void SendMarker(int node, in EpochMarker marker)
        {
            if (ReadyLink(node) is not { } link) return;
            var d = (SimDataNode)link.Acceptor;
            EpochMarker m = marker;
            _sim.Send(link, this, () => d.FromManager(Node, link, () => d.Count(d.Member.Marker(m), m)));
        }

        public void Completed(MessageId id, long timestamp, int payload) => Writes.Finalized(id.Seq);

        public void Abandoned(MessageId id, int payload) => Writes.Abandoned(id.Seq);

        // ---- the write machine's effects: answers go straight to the simulated client ----

        public void Answer(SimClient client, ulong requestId, in WriteReply reply, in WriteRequest<int> request) => _sim.Answered(client, reply);

        public void Release(int payload)
        {
        }

        void IManagerWritesOutput<SimClient, int>.Completed(int group, long started)
        {
        }

        public void Abort(SimClient client, bool multicast) => _sim.Aborted(client);

        /// <summary>A replica that died delivered in another order; the write waits for the view without it (a real divergence hangs it).</summary>
        public void Diverged(int group, in DeliveryReport first, in DeliveryReport other)
        {
            _sim.Trace($"manager {Node}: replicas of group {group} disagree on {first.Id}: {first} and {other}");
            _sim.Stats.Disputes++;
        }
    }
}
