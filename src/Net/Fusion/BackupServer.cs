using System.Net;
using BitFusion.Net.Config;

namespace BitFusion.Net.Fusion;

/// <summary>
/// A fused backup as a library user runs it: one process (or one object) per backup node of the cluster file. It
/// holds every primary's list in coded form — backup 0 their XOR, the others Reed–Solomon combinations over GF(2^8)
/// — applies each primary's deltas in order, acknowledges them, and serves the recovery of a primary that comes back
/// (<see cref="FusedBitList.OpenAsync"/>). It keeps nothing on disk: a backup that restarts is re-encoded from the
/// primaries. Thread-safe; its work runs on the thread pool and never blocks a thread.
/// </summary>
public sealed class BackupServer : IDisposable
{
    private readonly BackupNode _node;

    /// <summary>
    /// Binds backup node <paramref name="nodeId"/>'s configured address at once (so a port in use fails here, with
    /// <see cref="System.Net.Sockets.SocketException"/>); it admits peers only after <see cref="Start"/>. Throws
    /// <see cref="ConfigException"/> when the cluster names no backup with that id.
    /// </summary>
    public BackupServer(Cluster cluster, int nodeId)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        _node = new BackupNode(cluster, nodeId);
    }

    /// <summary>This backup's index (0..f-1): its position among the backups by id, which fixes its coefficients.</summary>
    public int BackupIndex => _node.BackupIndex;

    /// <summary>The address the server listens on.</summary>
    public IPEndPoint EndPoint => _node.EndPoint;

    /// <summary>Starts accepting primaries and the heartbeat timer; call once.</summary>
    public void Start() => _node.Start();

    /// <summary>Stops listening and closes every connection; the coded lists are dropped with it.</summary>
    public void Dispose() => _node.Dispose();
}
