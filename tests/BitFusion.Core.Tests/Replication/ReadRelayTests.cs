using BitFusion.Core.Abcast;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

public class ReadRelayTests
{
    private static readonly ClusterView View = new(SkeenView.Initial([(1, 0), (2, 0), (3, 0), (4, 1)], [100]), 100,
        new Dictionary<int, ulong> { [1] = 11, [2] = 12, [3] = 13, [4] = 14 }, new Dictionary<int, ulong> { [100] = 1 }, []);

    private sealed class Recorder : IReadRelayOutput<string>
    {
        public HashSet<int> Serving { get; } = [1, 2, 3, 4];
        public List<(int Node, ulong Id, string Read)> Sent { get; } = [];
        public List<(string Read, int Group)> Refused { get; } = [];

        public bool CanServe(int node) => Serving.Contains(node);

        public void SendRead(int node, ulong readId, string read) => Sent.Add((node, readId, read));

        public void Refuse(string read, int group) => Refused.Add((read, group));
    }

    [Fact]
    public void Reads_go_round_robin_to_serving_replicas_of_their_group_and_the_answer_goes_back_once()
    {
        var o = new Recorder();
        var relay = new ReadRelay<string>(o);
        o.Serving.Remove(2);
        relay.Request("a", 0, View);
        relay.Request("b", 0, View);
        relay.Request("c", 1, View);
        Assert.Equal([1, 3, 4], o.Sent.Select(s => s.Node));
        Assert.Equal(3, relay.Count);

        Assert.False(relay.Answered(3, o.Sent[0].Id, notReady: false, View, out _));
        Assert.True(relay.Answered(1, o.Sent[0].Id, notReady: false, View, out string read));
        Assert.Equal("a", read);
        Assert.False(relay.Answered(1, o.Sent[0].Id, notReady: false, View, out _));
        Assert.Equal(2, relay.Count);
        Assert.Empty(o.Refused);
    }

    [Fact]
    public void A_read_moves_on_when_its_replica_is_not_ready_or_goes_away_and_is_refused_when_none_serves()
    {
        var o = new Recorder();
        var relay = new ReadRelay<string>(o);
        relay.Request("a", 0, View);
        Assert.False(relay.Answered(1, o.Sent[^1].Id, notReady: true, View, out _));
        Assert.Equal(2, o.Sent[^1].Node);

        relay.NodeGone(2, View);
        Assert.Equal(3, o.Sent[^1].Node);
        Assert.Equal(1, relay.Count);

        o.Serving.Clear();
        relay.NodeGone(3, View);
        Assert.Equal([("a", 0)], o.Refused);
        Assert.Equal(0, relay.Count);

        relay.Request("b", 1, null);
        Assert.Equal(("b", 1), o.Refused[^1]);
    }

    [Fact]
    public void A_read_is_refused_after_MaxAttempts_replicas_were_not_ready()
    {
        var o = new Recorder();
        var relay = new ReadRelay<string>(o);
        relay.Request("a", 0, View);
        for (int i = 1; i < ReadRelay<string>.MaxAttempts; i++)
            Assert.False(relay.Answered(o.Sent[^1].Node, o.Sent[^1].Id, notReady: true, View, out _));
        Assert.Equal(ReadRelay<string>.MaxAttempts, o.Sent.Count);
        Assert.Empty(o.Refused);
        relay.Answered(o.Sent[^1].Node, o.Sent[^1].Id, notReady: true, View, out _);
        Assert.Equal([("a", 0)], o.Refused);
    }
}
