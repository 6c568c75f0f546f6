using Xunit.Abstractions;

namespace BitFusion.Core.Tests.Replication;

public class ScratchSurvey(ITestOutputHelper output)
{
    [Fact]
    public void Survey()
    {
        var shapes = new (string, int, Func<Random, ClusterSimOptions>)[]
        {
            ("nodes", 1, r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(1, 4), r.Next(20, 60), 20, NodeCrashes: r.Next(1, 4))),
            ("managers", 100_001, r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, ManagerCrashes: r.Next(1, 3))),
            ("overlap", 200_001, r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, NodeCrashes: r.Next(1, 4), ManagerCrashes: r.Next(1, 3))),
            ("pauses", 300_001, r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(1, 4), r.Next(20, 60), 20, Pauses: r.Next(1, 4), LinkDrops: r.Next(1, 4))),
            ("all", 400_001, r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, NodeCrashes: r.Next(0, 3), ManagerCrashes: r.Next(0, 2), Pauses: r.Next(0, 3), LinkDrops: r.Next(0, 3))),
        };
        int n = int.Parse(Environment.GetEnvironmentVariable("SURVEY_N") ?? "500");
        foreach ((string name, int first, var shape) in shapes)
        {
            var kinds = new Dictionary<string, (int Count, string First)>();
            for (int seed = first; seed < first + n; seed++)
            {
                string? f = new ClusterSimulation(seed, shape(new Random(~seed))).Run();
                if (f is null) continue;
                string line = f.Split('\n')[0];
                string msg = line[(line.IndexOf("): ") + 3)..];
                msg = msg[(msg.IndexOf(": ") + 2)..];
                string kind = System.Text.RegularExpressions.Regex.Replace(msg, @"\d+", "#");
                kind = kind.Length > 70 ? kind[..70] : kind;
                kinds[kind] = kinds.TryGetValue(kind, out var k) ? (k.Count + 1, k.First) : (1, f.Length > 3000 ? f[..3000] : f);
            }
            output.WriteLine($"== {name}: {kinds.Values.Sum(k => k.Count)} of {n} failed");
            foreach ((string kind, (int count, string firstF)) in kinds.OrderByDescending(k => k.Value.Count))
                output.WriteLine($"  {count} x {kind}\n     e.g. {firstF.Split('\n')[0]}");
        }
    }
}

public class ScratchOne(ITestOutputHelper output)
{
    [Fact]
    public void One()
    {
        int seed = int.Parse(Environment.GetEnvironmentVariable("SEED")!);
        string kind = Environment.GetEnvironmentVariable("SHAPE")!;
        Func<Random, ClusterSimOptions> shape = kind switch
        {
            "managers" => r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, ManagerCrashes: r.Next(1, 3)),
            "overlap" => r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, NodeCrashes: r.Next(1, 4), ManagerCrashes: r.Next(1, 3)),
            "pauses" => r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(1, 4), r.Next(20, 60), 20, Pauses: r.Next(1, 4), LinkDrops: r.Next(1, 4)),
            _ => r => new ClusterSimOptions(r.Next(1, 3), r.Next(2, 4), r.Next(2, 4), r.Next(20, 60), 20, NodeCrashes: r.Next(0, 3), ManagerCrashes: r.Next(0, 2), Pauses: r.Next(0, 3), LinkDrops: r.Next(0, 3)),
        };
        output.WriteLine(new ClusterSimulation(seed, shape(new Random(~seed))).Run() ?? "passed");
    }
}
