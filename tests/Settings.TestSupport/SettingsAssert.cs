using RouterHost.Abstractions;
using Xunit;

namespace RouterHost.Settings.TestSupport;

/// <summary>Assertions on the problems a settings parser reports.</summary>
public static class SettingsAssert
{
    /// <summary>
    /// That <paramref name="problems"/> is exactly one problem, at <paramref name="path"/>, whose message contains
    /// <paramref name="message"/>; returns it for further checks.
    /// </summary>
    public static ConfigurationProblem OneProblemAt(IReadOnlyList<ConfigurationProblem> problems, string path, string message)
    {
        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        return problem;
    }
}
