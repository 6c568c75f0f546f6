using BitFusion.Harness;

namespace BitFusion.Integration.Tests;

/// <summary>The harness itself: the kill is SIGKILL, readiness and early death are reported clearly, the binary is found or the search explained.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HarnessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task KillIsSigkillEvenForAProcessThatIgnoresSigterm()
    {
        // The child ignores SIGTERM, SIGINT and SIGHUP (an ignored disposition survives exec), so only SIGKILL ends it.
        await using ChildProcess child = ChildProcess.Start("bash", ["-c", "trap '' TERM INT HUP; echo 'ready probe on x answer=42'; exec sleep 60"], "probe", new LineTail());
        ReadyLine ready = await child.WaitReadyAsync(Patience);
        Assert.Equal("42", ready.Fields["answer"]);
        int code = await child.KillAsync().WaitAsync(Patience);
        Assert.Equal(128 + 9, code);
    }

    [Fact]
    public async Task ExitBeforeReadyIsAnErrorCarryingTheOutput()
    {
        await using ChildProcess child = ChildProcess.Start("bash", ["-c", "echo 'cannot bind: address in use' >&2; exit 3"], "doomed", new LineTail());
        var e = await Assert.ThrowsAsync<ChildProcessException>(() => child.WaitReadyAsync(Patience));
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("cannot bind: address in use", e.Message);
    }

    [Fact]
    public async Task NoReadyLineInTimeKillsTheChild()
    {
        await using ChildProcess child = ChildProcess.Start("bash", ["-c", "echo starting; exec sleep 60"], "slow", new LineTail());
        var e = await Assert.ThrowsAsync<ChildProcessException>(() => child.WaitReadyAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Contains("no ready line", e.Message);
        Assert.Contains("starting", e.Message);
        Assert.True(child.HasExited);
    }

    [Fact]
    public void ReadyLineSplitsFieldsAndWords()
    {
        ReadyLine line = ReadyLine.Parse("ready primary 0 (node 1) on 127.0.0.1:7001 rebuilt length=10 seq=12 recovery_us=800");
        Assert.True(line.Has("rebuilt"));
        Assert.Equal(10, line.Int64("length"));
        Assert.Equal(12, line.Int64("seq"));
        Assert.Equal("127.0.0.1:7001", line.Words[^2]);
        Assert.Throws<KeyNotFoundException>(() => line.Int64("missing"));
        Assert.Throws<FormatException>(() => ReadyLine.Parse("listening on 7001"));
    }

    [Fact]
    public void LocatorSaysWhereItLooked()
    {
        DirectoryInfo root = Directory.CreateTempSubdirectory("bitfusion-locate-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "src", "Host"));
            File.WriteAllText(Path.Combine(root.FullName, "src", "Host", "BitFusion.Host.csproj"), "<Project />");
            var e = Assert.Throws<FileNotFoundException>(() => BitfusionBinary.Locate(null, null, [root.FullName]));
            foreach (string candidate in BitfusionBinary.Candidates(root.FullName)) Assert.Contains(candidate, e.Message);
            Assert.Contains(BitfusionBinary.EnvironmentVariable, e.Message);

            string debug = BitfusionBinary.Candidates(root.FullName)[^1];
            Directory.CreateDirectory(Path.GetDirectoryName(debug)!);
            File.WriteAllText(debug, "");
            File.SetUnixFileMode(debug, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Assert.Equal(debug, BitfusionBinary.Locate(null, null, [Path.Combine(root.FullName, "src")]));

            var missing = Assert.Throws<FileNotFoundException>(() => BitfusionBinary.Locate(null, "/nonexistent/bitfusion", [root.FullName]));
            Assert.Contains(BitfusionBinary.EnvironmentVariable, missing.Message);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
