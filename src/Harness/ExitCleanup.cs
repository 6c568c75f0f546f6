namespace BitFusion.Harness;

/// <summary>
/// Last-resort cleanup when the harness's process exits without disposing what it started (a test host torn down,
/// an experiment interrupted): runs the registered actions newest first, so processes die before the network
/// namespaces they run in are deleted. A SIGKILL of the harness itself runs nothing; nothing can.
/// </summary>
internal static class ExitCleanup
{
    private static readonly Lock Gate = new();
    private static readonly LinkedList<Action> Actions = new();

    static ExitCleanup() => AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();

    public static IDisposable Register(Action action)
    {
        LinkedListNode<Action> node;
        lock (Gate) node = Actions.AddLast(action);
        return new Registration(node);
    }

    private static void RunAll()
    {
        while (true)
        {
            Action action;
            lock (Gate)
            {
                if (Actions.Last is not { } last) return;
                action = last.Value;
                Actions.RemoveLast();
            }
            try
            {
                action();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"harness cleanup at exit failed: {e.Message}");
            }
        }
    }

    private sealed class Registration(LinkedListNode<Action> node) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
                if (node.List is not null) Actions.Remove(node);
        }
    }
}
