using BitFusion.Net.Config;

namespace BitFusion.Harness;

/// <summary>
/// One node of a cluster across its lives: <c>bitfusion ROLE -c FILE --id N</c>, optionally inside a network
/// namespace (<c>ip netns exec NS ...</c>, which execs, so the pid is the node's own). It can be killed with SIGKILL
/// and started again with the same id; its output from every life goes to one <see cref="LineTail"/>.
/// </summary>
internal sealed class NodeProcess(string binary, NodeConfig node, string configPath, string? networkNamespace, LineTail log) : IAsyncDisposable
{
    private ChildProcess? _current;
    private bool _signalled;
    private int _kills;

    public NodeConfig Node { get; } = node;

    /// <summary>Options added after <c>--id N</c> on every start.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public int Id => Node.Id;

    public string Role => Node.Role;

    public string? Namespace { get; } = networkNamespace;

    public LineTail Log { get; } = log;

    /// <summary>The ready line of the current (or last) life.</summary>
    public ReadyLine? Ready { get; private set; }

    /// <summary>A backup's first "reencoded" line of the current life (see <see cref="ChildProcess.Reencoded"/>).</summary>
    public Task<string> Reencoded => _current?.Reencoded ?? throw new InvalidOperationException($"{this} was never started.");

    public int Starts { get; private set; }

    /// <summary>How many times the harness has signalled this node to die; bumped before the signal is sent.</summary>
    public int Kills => Volatile.Read(ref _kills);

    public bool IsRunning => _current is { HasExited: false };

    public int? Pid => _current?.Pid;

    public override string ToString() => $"{Role} {Id}";

    /// <summary>Starts a life and waits for its ready line.</summary>
    public async Task<ReadyLine> StartAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (IsRunning) throw new InvalidOperationException($"{this} is already running (pid {_current!.Pid}).");
        string[] command = [Role, "-c", configPath, "--id", Id.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Arguments];
        Starts++;
        ChildProcess child = Namespace is null
            ? ChildProcess.Start(binary, command, $"{this} (life {Starts})", Log)
            : ChildProcess.Start("ip", ["netns", "exec", Namespace, binary, .. command], $"{this} in netns {Namespace} (life {Starts})", Log);
        _current = child;
        _signalled = false;
        Ready = null;
        Ready = await child.WaitReadyAsync(timeout, cancellation).ConfigureAwait(false);
        return Ready;
    }

    /// <summary>Sends SIGKILL to the current life without waiting; see <see cref="KillAsync"/>.</summary>
    public void Kill()
    {
        if (_current is not { HasExited: false } child || _signalled) return;
        _signalled = true;
        Interlocked.Increment(ref _kills);
        child.Kill();
    }

    /// <summary>SIGKILL, and wait until the process is gone; returns its exit code (137 after SIGKILL), or null if none was started.</summary>
    public async Task<int?> KillAsync()
    {
        if (_current is not { } child) return null;
        Kill();
        return await child.Exited.ConfigureAwait(false);
    }

    /// <summary>
    /// Freezes the node with SIGSTOP: its sockets stay open and the kernel keeps accepting bytes for it until its
    /// buffers fill, so peers see a stall, not a crash. Returns once every thread has stopped, so nothing sent after
    /// it is handled before <see cref="Resume"/>, which lets it run on.
    /// </summary>
    public void Suspend() => Signals.StopAndWait(RunningPid(), TimeSpan.FromSeconds(10));

    public void Resume() => Signals.Send(RunningPid(), Signals.Continue);

    private int RunningPid() => _current is { HasExited: false } child ? child.Pid : throw new InvalidOperationException($"{this} is not running.");

    /// <summary>Waits for the current life to end (after <see cref="Kill"/>); null if none was started.</summary>
    public Task<int>? Exited => _current?.Exited;

    public async Task<ReadyLine> RestartAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        await KillAsync().ConfigureAwait(false);
        return await StartAsync(timeout, cancellation).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_current is { } child) await child.DisposeAsync().ConfigureAwait(false);
        Log.Dispose();
    }
}
