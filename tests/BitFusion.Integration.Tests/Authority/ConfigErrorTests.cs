using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Fusion;
using BitFusion.Net.Transport;

namespace BitFusion.Integration.Tests.Authority;

/// <summary>Bad configuration through the real binary: one line naming the problem, exit 2, no stack trace.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConfigErrorTests : IDisposable
{
    private const string Key = "\"clusterKey\": \"00112233445566778899aabbccddeeff\"";
    private readonly string _dir = Directory.CreateTempSubdirectory("bitfusion-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        SecretFile.Write(path, text);
        return path;
    }

    public static TheoryData<string, string, string> BadFiles() => new()
    {
        { "nodes null", $"{{ {Key}, \"nodes\": null }}", "\"nodes\" is null" },
        { "a null node", $"{{ {Key}, \"nodes\": [ null ] }}", "node #1 in \"nodes\" is null" },
        { "missing id", $"{{ {Key}, \"nodes\": [ {{ \"role\": \"backup\", \"port\": 5000 }} ] }}", "'id'" },
        { "missing role", $"{{ {Key}, \"nodes\": [ {{ \"id\": 2, \"port\": 5000 }} ] }}", "'role'" },
        { "missing port", $"{{ {Key}, \"nodes\": [ {{ \"id\": 2, \"role\": \"backup\" }} ] }}", "'port'" },
        { "duplicate host:port", $"{{ {Key}, \"nodes\": [ {{ \"id\": 1, \"role\": \"primary\", \"port\": 5000 }}, {{ \"id\": 2, \"role\": \"backup\", \"port\": 5000 }} ] }}",
            "share the address 127.0.0.1:5000" },
        { "group 64", $"{{ {Key}, \"nodes\": [ {{ \"id\": 1, \"role\": \"manager\", \"port\": 5000 }}, {{ \"id\": 2, \"role\": \"datanode\", \"port\": 5001, \"group\": 64 }}, " +
            "{ \"id\": 3, \"role\": \"datanode\", \"port\": 5002, \"group\": 64 } ] }", "group 64; it must be 0..63" },
        { "short key", "{ \"clusterKey\": \"abc\", \"nodes\": [ { \"id\": 1, \"role\": \"primary\", \"port\": 5000 }, { \"id\": 2, \"role\": \"backup\", \"port\": 5001 } ] }",
            "at least 16 bytes" },
        { "not JSON", "hello", "not valid cluster JSON" },
        { "JSON null", "null", "is empty" },
        { "a string for a number", $"{{ {Key}, \"faults\": \"x\", \"nodes\": [] }}", "$.faults" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task ABadClusterFileIsOneLineAndExitTwo(string what, string json, string named)
    {
        string path = File($"{what.Replace(' ', '-').Replace(':', '-')}.json", json);
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("backup", "-c", path, "--id", "2"), named);
    }

    [Fact]
    public async Task AnUnwritableOutIsOneLineAndExitTwo()
    {
        string target = Path.Combine(_dir, "missing-folder", "cluster.json");
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("config", "-o", target), "Cannot write " + target);
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("config", "-o", Path.Combine(_dir, "c.json"), "-n", "100000"), "exceeds 256");
    }

    [Fact]
    public async Task APortInUseIsOneLineAndExitTwo()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen(1);
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        ClusterConfig config = ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0);
        config.Nodes.Single(n => n.Role == "backup").Port = port;
        string path = File("busy.json", ClusterLayout.ToJson(config));
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("backup", "-c", path, "--id", "2"), $"127.0.0.1:{port}");
    }

    [Fact]
    public async Task ABadCommandLineIsOneLineAndExitTwo()
    {
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("backup", "--id", "x", "-c", "c.json"), "'x'");
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("config"), "--out");
    }

    [Fact]
    public async Task ConfigWritesAClusterFileAndAClientFileBothOwnerOnly()
    {
        string cluster = Path.Combine(_dir, "c.json"), client = Path.Combine(_dir, "c.client.json");
        (int exit, _, string stderr) = await Bitfusion.RunAsync("config", "-n", "2", "-f", "1", "-g", "1", "-o", cluster);
        Assert.True(exit == 0, stderr);
        foreach (string f in new[] { cluster, client })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(f));
        using JsonDocument nodes = JsonDocument.Parse(System.IO.File.ReadAllText(cluster));
        using JsonDocument clients = JsonDocument.Parse(System.IO.File.ReadAllText(client));
        string clusterKey = nodes.RootElement.GetProperty("clusterKey").GetString()!;
        Assert.False(clients.RootElement.TryGetProperty("clusterKey", out _));
        string clientKey = clients.RootElement.GetProperty("clientKey").GetString()!;
        Assert.Equal(ClusterKey.Parse(clusterKey).ClientKeyHex(), clientKey);
        Assert.DoesNotContain(clusterKey, System.IO.File.ReadAllText(client));
        string[] roles = [.. clients.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("role").GetString()!).Distinct().Order()];
        Assert.Equal(["manager", "primary"], roles);
    }

    [Fact]
    public async Task TheClientCommandWorksFromTheClientFileAndANodeWarnsAboutASharedFile()
    {
        Cluster cluster = Cluster.FromConfig(ClusterLayout.Build(1, 1, 0, 0, "127.0.0.1", 0));
        string clientFile = File("c.client.json", ClientFile.ToJson(cluster));
        using var backup = new BackupNode(cluster, cluster.Backups[0].Id);
        backup.Start();
        using PrimaryNode primary = await PrimaryNode.StartAsync(cluster, cluster.Primaries[0].Id);
        string id = cluster.Primaries[0].Id.ToString();
        (int exit, string stdout, string stderr) = await Bitfusion.RunAsync("client", "-c", clientFile, "-n", id, "append", "1");
        Assert.True(exit == 0, stderr);
        Assert.Equal("1", stdout.Trim());
        Assert.Empty(stderr);

        System.IO.File.SetUnixFileMode(clientFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        (exit, stdout, stderr) = await Bitfusion.RunAsync("client", "-c", clientFile, "-n", id, "count");
        Assert.True(exit == 0, stderr);
        Assert.Equal("1", stdout.Trim());
        Assert.StartsWith("warning: ", stderr);
        Assert.Contains("chmod 600", stderr);

        // A client file cannot start a node: it holds no cluster key.
        Bitfusion.AssertRefused(await Bitfusion.RunAsync("backup", "-c", clientFile, "--id", cluster.Backups[0].Id.ToString()), "clientKey");
    }
}
