using BitFusion.Core.Abcast;

namespace BitFusion.Core.Tests.Abcast;

public class SkeenViewTests
{
    private static readonly SkeenView View0 = SkeenView.Initial([(3, 1), (0, 0), (1, 0), (2, 1)], [5, 4]);

    [Fact]
    public void Members_are_grouped_and_successor_views_advance_the_epoch()
    {
        Assert.Equal([0, 1], View0.MembersOf(0).ToArray().Select(m => m.Node));
        Assert.Equal([2, 3], View0.MembersOf(1).ToArray().Select(m => m.Node));
        Assert.True(View0.MembersOf(2).IsEmpty);
        Assert.True(View0.MembersOf(99).IsEmpty);
        Assert.Equal([4, 5], View0.Senders.ToArray());
        Assert.Equal(GroupSet.Of(0, 1), View0.Groups);

        SkeenView v1 = View0.WithoutReceiver(1);
        SkeenView v2 = v1.WithJoiner(1, 0, donor: 0);
        SkeenView v3 = v2.WithSender(9).WithoutSender(4);
        Assert.Equal((1L, 2L, 4L), (v1.Epoch, v2.Epoch, v3.Epoch));
        Assert.True(v2.Contains(1, 2));
        Assert.False(v2.Contains(1, 0));
        Assert.True(v2.TryGetReceiver(1, out ViewMember joiner));
        Assert.Equal(new ViewMember(1, 0, 2, 0), joiner);
        Assert.True(joiner.NeedsTransfer);
        Assert.Equal([5, 9], v3.Senders.ToArray());
        Assert.True(v3.Contains(1, 2));
    }

    [Fact]
    public void Malformed_views_are_refused_with_a_reason()
    {
        void Refused(string why, Func<SkeenView> make) => Assert.Contains(why, Assert.Throws<ArgumentException>(() => make()).Message);

        Refused("appears twice", () => new SkeenView(0, [new ViewMember(0, 0, 0), new ViewMember(0, 1, 0)], []));
        Refused("outside 0..63", () => new SkeenView(0, [new ViewMember(0, 64, 0)], []));
        Refused("incarnation 3", () => new SkeenView(2, [new ViewMember(0, 0, 3)], []));
        Refused("negative", () => new SkeenView(0, [new ViewMember(-1, 0, 0)], []));
        Refused("Sender 1 appears twice", () => new SkeenView(0, [], [1, 1]));
        Refused("not an older member", () => View0.WithJoiner(7, 0, donor: 2));
        Refused("not an older member", () => View0.WithJoiner(7, 0, donor: 8));
        Refused("not an older member", () => View0.WithJoiner(7, 0, donor: 7));
        Refused("already holds state", () => new SkeenView(1, [new ViewMember(0, 0, 0), new ViewMember(1, 0, 1)], []));
        Refused("not in view", () => View0.WithoutReceiver(8));
        Refused("not in view", () => View0.WithoutSender(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkeenView(-1, [], []));
    }

    [Fact]
    public void A_new_group_may_start_empty_in_a_later_view()
    {
        var v1 = new SkeenView(1, [.. View0.Receivers.ToArray(), new ViewMember(9, 2, 1)], View0.Senders.ToArray());
        Assert.Equal([9], v1.MembersOf(2).ToArray().Select(m => m.Node));
    }

    [Fact]
    public void Group_sets_hold_group_ids_0_to_63()
    {
        GroupSet s = GroupSet.Of(0, 5, 63);
        Assert.Equal(3, s.Count);
        Assert.True(s.Contains(63));
        Assert.False(s.Contains(64));
        Assert.False(s.Contains(-1));
        var listed = new List<int>();
        foreach (int g in s.With(7)) listed.Add(g);
        Assert.Equal([0, 5, 7, 63], listed);
        Assert.Equal("{0,5,63}", s.ToString());
        Assert.True(default(GroupSet).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupSet.Of(64));
    }
}
