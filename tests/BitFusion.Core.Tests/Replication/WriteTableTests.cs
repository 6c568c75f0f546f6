using BitFusion.Core.Abcast;
using BitFusion.Core.Idempotency;
using BitFusion.Core.Replication;

namespace BitFusion.Core.Tests.Replication;

/// <summary>
/// A write's outcome at its manager. The first case failed with the rule it replaces (the first report decides),
/// found by the cluster simulator's position check (seeds 15, 75, 200113, 200310, 400077, 400400 when the clients'
/// retries drew from the fault generator).
/// </summary>
public class WriteTableTests
{
    private const int Sender = 100;

    private static SkeenView View(long epoch, params int[] nodes) => new(epoch, nodes.Select(n => new ViewMember(n, 0, 0)), [Sender]);

    private static DeliveryReport Applied(long seq, long position) => new(new MessageId(Sender, seq), DeliveryStatus.Applied, position, position);

    [Fact]
    public void A_replica_that_left_does_not_decide_the_position_and_a_manager_waits_for_the_view_that_drops_it()
    {
        // Replica 3 never received an earlier multicast and delivered this one before it, then died; orphan recovery
        // finalised the earlier one without it, so replicas 1 and 2 deliver this one a place later.
        var output = new Recorder();
        var table = new WriteTable<string>(output);
        table.Add(7, 0, "w", View(0, 1, 2, 3).MembersOf(0));
        table.Finalized(7);
        table.Delivered(7, 3, 0, Applied(7, 5));
        table.Delivered(7, 1, 0, Applied(7, 6));
        table.Delivered(7, 2, 0, Applied(7, 6));
        Assert.Empty(output.Done);

        table.Settle(View(1, 1, 2));

        (string tag, WriteResult result) = Assert.Single(output.Done);
        Assert.Equal("w", tag);
        Assert.Equal(new WriteResult(WriteOutcome.Applied, 6, 6), result);
    }

    [Fact]
    public void A_write_waits_for_its_final_and_every_destination_and_a_repeated_report_changes_nothing()
    {
        var output = new Recorder();
        var table = new WriteTable<string>(output);
        table.Add(1, 0, "w", View(0, 1, 2).MembersOf(0));
        table.Delivered(1, 1, 0, Applied(1, 1));
        table.Delivered(1, 1, 0, Applied(1, 1));
        table.Finalized(1);
        Assert.Empty(output.Done);

        table.Delivered(1, 2, 0, Applied(1, 1));

        Assert.Equal(new WriteResult(WriteOutcome.Applied, 1, 1), Assert.Single(output.Done).Result);
        Assert.Equal(0, table.Divergences);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_report_of_a_destination_that_left_is_never_the_answer()
    {
        // Replica 1 delivered the write at 25 and died; replica 2 delivered it at 26 (the group's order) and died before
        // its report arrived. Replica 1's report was the answer before the fix (seed 19846).
        var output = new Recorder();
        var table = new WriteTable<string>(output);
        table.Add(14, 0, "w", View(0, 1, 2).MembersOf(0));
        table.Finalized(14);
        table.Delivered(14, 1, 0, Applied(14, 25));
        table.Settle(View(1, 2));
        Assert.Empty(output.Done);

        table.Settle(View(3, 3));

        Assert.Equal(WriteOutcome.Unknown, Assert.Single(output.Done).Result.Outcome);
    }

    [Fact]
    public void A_write_whose_every_destination_left_unreported_is_unknown()
    {
        var output = new Recorder();
        var table = new WriteTable<string>(output);
        table.Add(1, 0, "w", View(0, 1).MembersOf(0));
        table.Finalized(1);

        table.Settle(View(1, 2));

        Assert.Equal(WriteOutcome.Unknown, Assert.Single(output.Done).Result.Outcome);
    }

    private sealed class Recorder : IWriteTableOutput<string>
    {
        public List<(string Tag, WriteResult Result)> Done { get; } = [];

        public void Completed(string tag, int group, in WriteResult result) => Done.Add((tag, result));

        public void Diverged(int group, in DeliveryReport first, in DeliveryReport other)
        {
        }
    }
}
