using System.CommandLine;
using RouterHost.Cli;

namespace RouterHost;

/// <summary>The <c>routerhost</c> command line.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        RootCommand root = CreateRootCommand();
        return root.Parse(args).Invoke();
    }

    internal static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("RouterHost: a userspace router with pluggable backends (TUN, AF_XDP, Wintun) and a chain of stages (routing, firewall, WireGuard).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Options.Add(CliConfiguration.ConfigOption);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(PluginsCommand.Create());
        root.Subcommands.Add(ShowCommand.Create());
        root.Subcommands.Add(KeyCommands.CreateGenkey());
        root.Subcommands.Add(KeyCommands.CreatePubkey());
        root.Subcommands.Add(KeyCommands.CreateGenpsk());
        root.SetAction(RunCommand.Run);
        return root;
    }
}
