using System.CommandLine;
using RouterHost.Demo;

namespace RouterHost.Cli;

/// <summary><c>routerhost demo</c>: two nodes, a tunnel, a handshake, a ping, a throughput check; then cleans up.</summary>
internal static class DemoCommand
{
    private static readonly Option<int> SecondsOption = new("--seconds") { Description = "How long the throughput check runs (0: skip it).", DefaultValueFactory = _ => 5 };

    private static readonly Option<bool> WaitOption = new("--wait") { Description = "Keep the nodes running after the checks, printing counters, until Ctrl-C." };

    public static Command Create()
    {
        var command = new Command("demo", "Run two RouterHost nodes with a WireGuard tunnel between them in network namespaces (needs root); removes everything afterwards.");
        command.Options.Add(SecondsOption);
        command.Options.Add(WaitOption);
        command.SetAction(parse =>
        {
            if (!OperatingSystem.IsLinux())
            {
                Console.Error.WriteLine("error: the demo needs Linux (network namespaces, TUN devices)");
                return 1;
            }

            return new DemoRun(Console.Out).Run(Math.Clamp(parse.GetValue(SecondsOption), 0, 3600), parse.GetValue(WaitOption));
        });
        return command;
    }
}
