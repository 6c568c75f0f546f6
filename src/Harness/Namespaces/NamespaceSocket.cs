using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BitFusion.Harness.Namespaces;

/// <summary>
/// Creates a socket inside another network namespace. A socket belongs for life to the namespace its creating
/// thread was in, so a short-lived thread enters the namespace (setns), creates the socket, and ends: the socket
/// can then be used from any thread, and no pooled thread is ever left in the wrong namespace.
/// </summary>
internal static partial class NamespaceSocket
{
    private const int CloneNewNet = 0x40000000;

    public static Socket Create(string networkNamespace, AddressFamily family)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using SafeFileHandle target = File.OpenHandle(Path.Combine("/var/run/netns", networkNamespace));
                if (SetNs(target, CloneNewNet) != 0)
                    throw new IOException($"setns into network namespace {networkNamespace} failed: errno {Marshal.GetLastPInvokeError()}");
                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = $"socket in netns {networkNamespace}",
        };
        thread.Start();
        thread.Join();
        if (error is not null) throw new IOException($"Cannot create a socket in network namespace {networkNamespace}: {error.Message}", error);
        return socket!;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(SafeFileHandle fd, int nstype);
}
