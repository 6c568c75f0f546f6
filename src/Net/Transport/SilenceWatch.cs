namespace BitFusion.Net.Transport;

/// <summary>
/// The failure detector's last step: every <c>heartbeatMs</c>, closes each watched connection whose peer has sent
/// nothing (not even a heartbeat) for <c>suspectAfterMs</c>. The close is what roles react to, exactly as to a
/// crash; a peer that was only paused finds its connections closed when it resumes and is brought back as the role
/// decides (re-admitted, fenced, or redialed).
/// </summary>
internal static class SilenceWatch
{
    /// <param name="watched">Called without any lock held by the caller; returns the connections to check now.</param>
    public static async Task RunAsync(Func<List<Connection>> watched, int heartbeatMs, int suspectAfterMs, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(heartbeatMs));
        StallGrace grace = StallGrace.For(suspectAfterMs);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                grace.Tick(now);
                foreach (Connection c in watched())
                {
                    long silent = now - grace.Heard(c.LastHeardMs);
                    if (silent >= suspectAfterMs && !c.IsClosed) c.Close($"peer silent for {silent} ms (suspectAfterMs = {suspectAfterMs})");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
