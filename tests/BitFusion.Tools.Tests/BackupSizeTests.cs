using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;
using BitFusion.Heap;
using BitFusion.Heap.Report;

namespace BitFusion.Tools.Tests;

/// <summary>
/// Profiles real target processes and checks every backup's figure against the size computed from the object
/// layout: the object plus each array it owns; the FusionCode its backups share is not theirs.
/// </summary>
public class BackupSizeTests
{
    internal static readonly string[] Specs =
    [
        "list:0", "list:1", "list:64", "list:65", "list:10000", "list:1000000",
        "backup:1:1:0", "backup:3:2:10000", "backup:5:1:65", "lonebackup:2:10000",
    ];

    private static readonly Dictionary<string, Type> Types = new()
    {
        [typeof(PackedBitList).FullName!] = typeof(PackedBitList),
        [typeof(FusedBackup).FullName!] = typeof(FusedBackup),
    };

    internal static long Expected(TargetObject o) =>
        ObjectLayout.Instance(Types[o.Type]) + o.Arrays.Sum(a => ObjectLayout.Array(a.Element, a.Length));

    /// <summary>Each reported backup must match one held object, to the byte; objects come in no fixed order.</summary>
    internal static void AssertExact(TargetProcess target, HeapReport report)
    {
        foreach (string type in Types.Keys)
        {
            List<TargetObject> held = [.. target.Objects.Where(o => o.Type == type).OrderBy(Expected)];
            List<BackupEntry> seen = [.. report.Backups.Where(b => b.Type == type).OrderBy(b => b.RetainedBytes)];
            Assert.True(held.Count == seen.Count, $"{type}: the target holds {held.Count}, the report shows {seen.Count}");
            for (int i = 0; i < held.Count; i++)
            {
                Assert.Equal(Expected(held[i]), seen[i].RetainedBytes);
                Assert.Equal(1 + held[i].Arrays.Count, seen[i].RetainedObjects);
                Assert.Equal(ObjectLayout.Instance(Types[type]), seen[i].ShallowBytes);
            }
        }
        Assert.DoesNotContain(report.Backups, b => b.Parts.Any(p => p.Type.Contains("FusionCode") || p.Type.Contains("GfMatrix")));
    }

    [Fact]
    public void Jit_target_backups_retain_exactly_their_layout_size()
    {
        using TargetProcess target = TargetProcess.StartJit(Specs);
        Assert.Equal(6 + 1 + 2 + 1 + 1, target.Objects.Count);
        HeapReport report = HeapProfiler.Profile(target.Id, new HeapProfileOptions());
        Assert.Equal("CoreCLR", report.Runtime);
        AssertExact(target, report);
        Assert.True(report.Totals.Bytes >= report.Backups.Sum(b => b.RetainedBytes));
        Assert.True(report.Totals.Roots > 0);
    }

    [Fact]
    public void The_type_option_chooses_what_is_reported()
    {
        using TargetProcess target = TargetProcess.StartJit("backup:3:2:10000", "list:65");
        HeapReport report = HeapProfiler.Profile(target.Id, new HeapProfileOptions { BackupTypes = ["BitFusion.Core.Fusion.FusionCode", "No.Such.Type"] });
        BackupEntry code = Assert.Single(report.Backups);
        Assert.Equal("BitFusion.Core.Fusion.FusionCode", code.Type);
        Assert.Contains(report.Notes, n => n.Contains("No.Such.Type"));
    }

    [Fact]
    public void A_code_only_its_backup_refers_to_still_counts_as_shared_unless_told_otherwise()
    {
        using TargetProcess target = TargetProcess.StartJit("lonebackup:3:10000");
        long layout = Expected(Assert.Single(target.Objects));
        BackupEntry byDefault = Assert.Single(HeapProfiler.Profile(target.Id, new HeapProfileOptions()).Backups);
        Assert.Equal(layout, byDefault.RetainedBytes);
        BackupEntry unshared = Assert.Single(HeapProfiler.Profile(target.Id, new HeapProfileOptions { SharedTypes = [] }).Backups);
        Assert.Contains(unshared.Parts, p => p.Type == "BitFusion.Core.Fusion.FusionCode");
        Assert.True(unshared.RetainedBytes > layout, $"{unshared.RetainedBytes} should exceed {layout}");
    }

    [Fact]
    public void The_heap_total_is_the_sum_over_all_types()
    {
        using TargetProcess target = TargetProcess.StartJit("list:65");
        HeapReport report = HeapProfiler.Profile(target.Id, new HeapProfileOptions { TopTypes = int.MaxValue });
        Assert.Equal(report.Totals.Bytes, report.TopTypes.Sum(t => t.Bytes));
        Assert.Equal(report.Totals.Objects, report.TopTypes.Sum(t => t.Objects));
        Assert.Equal(report.Totals.Types, report.TopTypes.Count);
    }
}
