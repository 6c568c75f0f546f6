using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A reusable awaitable for one in-process operation, so the library path (<see cref="FusedBitList"/>'s async
/// methods) does not allocate a Task per write. Returned to its pool when the awaiter reads the result.
/// </summary>
internal sealed class OpCompletion : IValueTaskSource<long>, IResettable
{
    private ManualResetValueTaskSourceCore<long> _core = new() { RunContinuationsAsynchronously = true };

    public ObjectPool<OpCompletion>? Pool { get; set; }

    /// <summary>
    /// Run the awaiter's continuation on the completing thread. Only for completions signalled outside any lock
    /// (a client's read loop); the primary completes under its lock and must not run user code there.
    /// </summary>
    public bool Inline
    {
        set => _core.RunContinuationsAsynchronously = !value;
    }

    public ValueTask<long> Task => new(this, _core.Version);

    public void Complete(long value) => _core.SetResult(value);

    public void Fail(Exception error) => _core.SetException(error);

    public long GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Pool?.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public bool TryReset()
    {
        _core.Reset();
        return true;
    }
}
