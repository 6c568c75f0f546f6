using BitFusion.Harness;

namespace BitFusion.Integration.Tests.Workload;

/// <summary>
/// The processes a chaos driver has frozen with SIGSTOP, each with the task that sends its SIGCONT. Shared by the
/// fusion and replication drivers so that both pause, resume and reap the same way.
/// </summary>
internal sealed class PausedNodes(Action<string> note)
{
    private readonly Dictionary<NodeProcess, Task> _resumes = [];

    public int Count => _resumes.Count;

    public bool Contains(NodeProcess node) => _resumes.ContainsKey(node);

    /// <summary>Freezes <paramref name="node"/> now and lets it go on after <paramref name="ms"/> milliseconds.</summary>
    public void Pause(NodeProcess node, int ms)
    {
        note($"pause {node} for {ms} ms");
        node.Suspend();
        _resumes[node] = ResumeAsync(node, ms);
    }

    /// <summary>Forgets the nodes that resumed; with <paramref name="wait"/>, first waits for every one to resume.</summary>
    public async Task ReapAsync(bool wait)
    {
        foreach ((NodeProcess node, Task resume) in _resumes.ToArray())
        {
            if (!wait && !resume.IsCompleted) continue;
            await resume.ConfigureAwait(false);
            _resumes.Remove(node);
        }
    }

    private async Task ResumeAsync(NodeProcess node, int ms)
    {
        await Task.Delay(ms).ConfigureAwait(false);
        node.Resume();
        note($"resume {node}");
    }
}
