using System.CommandLine;
using BitFusion.Net.Client;
using BitFusion.Net.Config;
using BitFusion.Net.Transport;
using BitFusion.Net.Wire;

namespace BitFusion.Host.Commands;

/// <summary>
/// `bitfusion client`: one operation against a primary (fusion) or a manager's group (replication). Exit 0: done;
/// 1: not done (refused, or nothing sent); 2: bad arguments; 3: a write's outcome is unknown.
/// </summary>
internal static class ClientCommand
{
    /// <summary>Exit code of a write whose fate the client cannot know (no answer in time, connection lost, or the server's Unknown).</summary>
    private const int OutcomeUnknown = 3;

    private static readonly string[] Operations = ["append", "set", "insert", "remove", "swap-remove", "get", "count", "read"];

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c")
        {
            Description = "The client file `bitfusion config` wrote (NAME.client.json); a cluster file works too, and only its client key is used.",
            Required = true,
        };
        var node = new Option<int>("--node", "-n") { Description = "The primary or manager to talk to (its id).", Required = true };
        var group = new Option<int?>("--group", "-g") { Description = "With a manager: the replica group." };
        var seconds = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for the connection and for the answer.", DefaultValueFactory = _ => 10 };
        var op = new Argument<string>("operation") { Description = $"One of: {string.Join(", ", Operations)}." };
        op.AcceptOnlyFromAmong(Operations);
        var values = new Argument<long[]>("values")
        {
            Description = "append BIT | set INDEX BIT | insert INDEX BIT | remove INDEX | swap-remove INDEX | get INDEX | count | read",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("client", "Send one operation to a list and print the answer (writes print the new count). " +
            "Exit 0 done, 1 not done, 2 bad arguments, 3 a write's outcome is unknown (no answer within the timeout, connection lost, or the server cannot tell).")
        { config, node, group, seconds, op, values };
        command.SetAction(async (result, cancellation) =>
        {
            ClientFile? file = CommonOptions.LoadClientFile(result.GetRequiredValue(config));
            if (file is null) return 2;
            int id = result.GetValue(node);
            NodeConfig? target = file.Servers.FirstOrDefault(n => n.Id == id);
            if (target is null)
            {
                Console.Error.WriteLine($"error: node {id} is not a primary or manager in the configuration.");
                return 2;
            }
            string operation = result.GetRequiredValue(op);
            long[] v = result.GetValue(values) ?? [];
            int need = operation switch { "append" => 1, "set" or "insert" => 2, "remove" or "swap-remove" or "get" => 1, _ => 0 };
            if (v.Length != need)
            {
                Console.Error.WriteLine($"error: {operation} takes {need} value(s); got {v.Length}.");
                return 2;
            }
            if (operation is "append" or "set" or "insert" && v[^1] is not (0 or 1))
            {
                Console.Error.WriteLine($"error: a bit is 0 or 1; got {v[^1]}.");
                return 2;
            }
            bool manager = target.Role == "manager";
            int? g = result.GetValue(group);
            if (manager && g is null)
            {
                Console.Error.WriteLine("error: a manager serves several groups: give --group.");
                return 2;
            }
            double timeoutSeconds = result.GetValue(seconds);
            if (!(timeoutSeconds is > 0 and <= 86_400))
            {
                Console.Error.WriteLine($"error: --timeout is {timeoutSeconds} s; it must be more than 0 and at most 86400.");
                return 2;
            }
            TimeSpan timeout = TimeSpan.FromSeconds(timeoutSeconds);
            bool write = operation is "append" or "set" or "insert" or "remove" or "swap-remove";
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            connectTimeout.CancelAfter(timeout);
            try
            {
                using BitListClient client = await BitListClient.ConnectAsync(Cluster.EndPointOf(target), file.Key,
                    Cluster.IdentityOf(target), 0, g, file.MaxFrameBytes, connectTimeout.Token, timeout);
                string answer = operation switch
                {
                    "append" => (await client.AppendAsync(v[0] == 1)).ToString(),
                    "set" => (await client.SetAsync(v[0], v[1] == 1)).ToString(),
                    "insert" => (await client.InsertAsync(v[0], v[1] == 1)).ToString(),
                    "remove" => (await client.RemoveAtAsync(v[0])).ToString(),
                    "swap-remove" => (await client.SwapRemoveAtAsync(v[0])).ToString(),
                    "get" => await client.GetAsync(v[0]) ? "1" : "0",
                    "count" => (await client.CountAsync()).ToString(),
                    _ => Render(await client.ReadAllAsync()),
                };
                Console.WriteLine(answer);
                return 0;
            }
            catch (RemoteException e) when (e.Code == ErrorCode.Unknown)
            {
                Console.Error.WriteLine($"error: outcome unknown: {e.Message}");
                return OutcomeUnknown;
            }
            catch (RemoteException e)
            {
                Console.Error.WriteLine(write ? $"error: not applied ({e.Code}): {e.Message}" : $"error: {e.Code}: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is TimeoutException or IOException && write)
            {
                Console.Error.WriteLine($"error: outcome unknown: {e.Message}");
                return OutcomeUnknown;
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"error: could not connect to node {id} at {target.Host}:{target.Port} within {timeout.TotalSeconds:0.###} s; nothing was sent.");
                return 1;
            }
            catch (HandshakeRejectedException e)
            {
                Console.Error.WriteLine($"error: node {id} refused the connection: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string Render(BitsResult bits)
    {
        var text = new System.Text.StringBuilder((int)Math.Min(bits.Length + 40, 1 << 20));
        text.Append($"length={bits.Length} seq={bits.Seq} bits=");
        for (long i = 0; i < bits.Length; i++) text.Append(((bits.Words[i >> 6] >> (int)(i & 63)) & 1) != 0 ? '1' : '0');
        return text.ToString();
    }
}
