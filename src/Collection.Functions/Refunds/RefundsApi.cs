using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Domain.Refunds;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Collection.Functions.Refunds;

/// <summary>Who applies for a refund on the person's behalf.</summary>
public sealed record RefundApplicantBody(string? Name, string? Relation, string? Phone);

/// <summary>The body of <c>POST /api/refunds</c>.</summary>
public sealed record RefundRequestBody(
    string? Policy,
    string? IdNumber,
    string? Reason,
    string? EventDate,
    IReadOnlyList<string>? TransactionIds,
    IReadOnlyList<string>? Identities,
    RefundApplicantBody? Applicant,
    string? Note);

/// <summary>The body of an event sent to a case.</summary>
public sealed record RefundEventBody(string? Comment);

/// <summary>One page of cases.</summary>
public sealed record RefundCasePage(IReadOnlyList<RefundCaseListItem> Items, string? ContinuationToken);

/// <summary>A case in a list: its view plus the runtime status.</summary>
public sealed record RefundCaseListItem(string RuntimeStatus, RefundCaseView Case);

/// <summary>A case as <c>GET /api/refunds/{id}</c> shows it.</summary>
public sealed record RefundCaseResponse(string RuntimeStatus, DateTimeOffset CreatedTime, DateTimeOffset LastUpdatedTime, string? Error, RefundCaseView Case);

/// <summary>The answer to an opened case, in the Durable Functions shape, with links the opener's key may call.</summary>
public sealed record RefundCaseLinks(string Id, string StatusQueryGetUri, string SendEventPostUri, string TerminatePostUri);

/// <summary>
/// Refund cases over HTTP: open (202 in the durable shape), see one, list, send the hand-off events, and (admin)
/// terminate. Cases open with staff, tax or community keys; each event needs the role named in
/// <see cref="RefundEvents.RoleFor"/>. The cases are Durable Functions instances (<see cref="RefundOrchestration"/>).
/// </summary>
public sealed class RefundsApi(PolicyCatalog catalog, IRefundLedger ledger, RefundClaims claims, ChinaClock clock)
{
    private const string Route = "/api/refunds";

    private static readonly JsonSerializerOptions RequestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    private static readonly JsonSerializerOptions StatusJson = new(JsonSerializerDefaults.Web);

    /// <summary>Open a refund case; 202 with the case links, or a coded problem when it cannot succeed.</summary>
    [Function("OpenRefund")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax, FunctionRoles.Community)]
    public async Task<IResult> Open(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "refunds")] HttpRequest request, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(durable);
        RefundRequestBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<RefundRequestBody>(request.Body, RequestJson, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "malformed-request", "The body is not a valid refund request.", HttpErrors.DescribeJson(e), e.Path?.TrimStart('$', '.'));
        }

        if (body is null)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "malformed-request", "The body is not a valid refund request.", "The body must be a JSON object.");
        }

        var (application, problem) = Parse(body, catalog, clock.Today);
        if (problem is not null)
        {
            return problem;
        }

        var entry = await ledger.GetAsync(application!.Policy, application.IdNumber, cancellationToken).ConfigureAwait(false);
        if (entry is null || entry.Enrolment.Money.PaymentCount == 0)
        {
            return Problems.Problem(StatusCodes.Status422UnprocessableEntity, RefundCodes.NoPayment, "No payment to refund.",
                $"The ledger holds no payment of {RefundCaseView.Mask(application.IdNumber)} under {application.Policy}.", "idNumber");
        }

        var caseId = "refund-" + Guid.NewGuid().ToString("N");
        var open = await claims.TryOpenAsync(application.Policy, application.IdNumber, caseId, (id, ct) => IsRunningAsync(durable, id, ct), cancellationToken).ConfigureAwait(false);
        if (open is not null)
        {
            var result = Problems.Problem(StatusCodes.Status409Conflict, "refund-in-progress", "A refund case is already open for this person.",
                $"Case {open} is still open for {RefundCaseView.Mask(application.IdNumber)} under {application.Policy}; finish it first.");
            return WithExtension(result, "openCase", open);
        }

        var actor = request.HttpContext.User.Actor();
        await durable.ScheduleNewOrchestrationInstanceAsync(RefundOrchestration.Name, new RefundCaseInput(caseId, application, actor),
            new Microsoft.DurableTask.StartOrchestrationOptions(caseId), cancellationToken).ConfigureAwait(false);
        var links = Links(request, caseId);
        return Results.Accepted(links.StatusQueryGetUri, links);
    }

    /// <summary>A refund case: runtime status, stage, channel, amount, what it waits for, outcome and history.</summary>
    [Function("GetRefund")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax, FunctionRoles.Community, FunctionRoles.Approver)]
    public static async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "refunds/{id}")] HttpRequest request, string id, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var status = await FindAsync(durable, id, cancellationToken).ConfigureAwait(false);
        if (status is null || View(status) is not { } view)
        {
            return NotFound(id);
        }

        return Results.Ok(new RefundCaseResponse(status.RuntimeStatus.ToString(), status.CreatedAt, status.LastUpdatedAt,
            status.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? status.FailureDetails?.ErrorMessage : null, view));
    }

    /// <summary>Refund cases filtered by policy, stage, reason and overdue; paged with continuationToken.</summary>
    [Function("ListRefunds")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax, FunctionRoles.Community, FunctionRoles.Approver)]
    public static async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "refunds")] HttpRequest request, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        if (!Query.TryBool(request, "overdue", out var overdue, out var problem) || !Query.TryInt(request, "top", out var top, out problem))
        {
            return problem!;
        }

        var policy = Query.Text(request, "policy");
        var stage = Query.Text(request, "stage");
        var reason = Query.Text(request, "reason");
        if (stage is not null && !RefundProcess.TryParseStage(stage, out _))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-stage", "Unknown stage.",
                $"'{LogText.Of(stage)}' is not a stage ({string.Join(", ", Enum.GetValues<RefundStage>().Select(RefundProcess.StageCode))}).", "stage");
        }

        if (reason is not null && !Glossary.RefundReasons.TryParse(reason, out _))
        {
            return UnknownReason(reason);
        }

        var reasonCode = reason is null ? null : Glossary.RefundReasons.Code(Glossary.RefundReasons.Parse(reason));
        var pageSize = Math.Clamp(top ?? 50, 1, 500);
        var items = new List<RefundCaseListItem>();
        var token = Query.Text(request, "continuationToken");
        var query = new OrchestrationQuery { InstanceIdPrefix = "refund-", FetchInputsAndOutputs = true, PageSize = pageSize };

        // Filters apply to the custom status, so keep reading runtime pages until this page is full.
        do
        {
            var page = await FirstPageAsync(durable.GetAllInstancesAsync(query with { ContinuationToken = token }), cancellationToken).ConfigureAwait(false);
            foreach (var status in page?.Values ?? [])
            {
                if (View(status) is { } view
                    && (policy is null || string.Equals(view.Policy, policy, StringComparison.OrdinalIgnoreCase))
                    && (stage is null || string.Equals(view.Stage, stage, StringComparison.OrdinalIgnoreCase))
                    && (reasonCode is null || view.Reason == reasonCode)
                    && (overdue is null || view.Overdue == overdue))
                {
                    items.Add(new RefundCaseListItem(status.RuntimeStatus.ToString(), view));
                }
            }

            token = page?.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(token) && items.Count < pageSize);

        return Results.Ok(new RefundCasePage(items, string.IsNullOrEmpty(token) ? null : token));
    }

    /// <summary>approve or reject (approver), tax-accepted (tax), cash-returned (community), with a comment.</summary>
    [Function("SendRefundEvent")]
    [Roles(FunctionRoles.Approver, FunctionRoles.Tax, FunctionRoles.Community)]
    public static async Task<IResult> Raise(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "refunds/{id}/events/{eventName}")] HttpRequest request, string id, string eventName,
        [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(durable);
        var user = request.HttpContext.User;
        var role = RefundEvents.RoleFor(eventName);
        if (role is null)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "unknown-event", "Unknown event.",
                $"'{LogText.Of(eventName)}' is not a refund event ({string.Join(", ", RefundEvents.All)}).", "eventName");
        }

        if (!user.IsInRole(role) && !user.IsInRole(FunctionRoles.Admin))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "wrong-role", "This key may not send that event.",
                $"'{eventName}' needs the {role} key.");
        }

        RefundEventBody? body = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                body = await JsonSerializer.DeserializeAsync<RefundEventBody>(request.Body, RequestJson, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "malformed-request", "The body is not a valid event.", HttpErrors.DescribeJson(e), e.Path?.TrimStart('$', '.'));
            }
        }

        if (TextLimits.Check("comment", body?.Comment, TextLimits.Comment, multiLine: true) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var status = await FindAsync(durable, id, cancellationToken).ConfigureAwait(false);
        if (status is null || View(status) is not { } view)
        {
            return NotFound(id);
        }

        if (status.RuntimeStatus is not (OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended))
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "event-not-awaited", "The case is over.", $"Case {id} has finished.");
        }

        if (!view.WaitingFor.Contains(eventName))
        {
            var waiting = view.WaitingFor.Count == 0 ? "nothing" : string.Join(" or ", view.WaitingFor);
            var result = Problems.Problem(StatusCodes.Status409Conflict, "event-not-awaited", "The case is not waiting for that event.",
                $"Case {id} is {view.Stage} and waits for {waiting}.");
            return WithExtension(result, "waitingFor", view.WaitingFor);
        }

        await durable.RaiseEventAsync(id, RefundOrchestration.EventName, new RefundEventMessage(eventName, user.Actor(), body?.Comment), cancellationToken).ConfigureAwait(false);
        return Results.Accepted($"{Route}/{Uri.EscapeDataString(id)}", new { id, @event = eventName });
    }

    /// <summary>Stops a case where it stands (admin), e.g. one opened in error; its view keeps the last stage.</summary>
    [Function("TerminateRefund")]
    [Roles(FunctionRoles.Admin)]
    public static async Task<IResult> Terminate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "refunds/{id}/terminate")] HttpRequest request, string id, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(durable);
        var status = await FindAsync(durable, id, cancellationToken).ConfigureAwait(false);
        if (status is null)
        {
            return NotFound(id);
        }

        if (!status.IsRunning && status.RuntimeStatus != OrchestrationRuntimeStatus.Pending)
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "refund-finished", "The case is over.", $"Case {id} has finished ({status.RuntimeStatus}).");
        }

        var reason = Query.Text(request, "reason") is { Length: > 0 } text ? LogText.Of(text) : "terminated by " + request.HttpContext.User.Actor();
        await durable.TerminateInstanceAsync(id, reason, cancellationToken).ConfigureAwait(false);
        return Results.Accepted($"{Route}/{Uri.EscapeDataString(id)}", new { id, terminated = true });
    }

    /// <summary>Checks a request and turns it into an application; the problem says what is wrong.</summary>
    internal static (RefundApplication? Application, IResult? Problem) Parse(RefundRequestBody body, PolicyCatalog catalog, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(body.Policy) || !catalog.TryGet(body.Policy, out var policy))
        {
            return (null, Problems.UnknownPolicy(body.Policy, StatusCodes.Status400BadRequest));
        }

        if (string.IsNullOrWhiteSpace(body.IdNumber))
        {
            return (null, Problems.Problem(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.", "idNumber is required.", "idNumber"));
        }

        if (!ResidentId.TryParse(body.IdNumber.Trim(), today, out var id, out var error))
        {
            return (null, Problems.Problem(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
                $"idNumber: {ResidentId.Describe(error)} ({ResidentId.ReasonCode(error)}).", "idNumber"));
        }

        if (!Glossary.RefundReasons.TryParse(body.Reason, out var reason))
        {
            return (null, UnknownReason(body.Reason));
        }

        // Refund grounds are each policy's (its file lists them, with the decision where the notice names none).
        if (policy.RefundReasons.Count > 0 && !policy.RefundReasons.Contains(reason))
        {
            return (null, Problems.Problem(StatusCodes.Status422UnprocessableEntity, "reason-not-in-policy", "The policy has no such refund ground.",
                $"{Glossary.RefundReasons.Code(reason)} is not a refund ground of {policy.Code} ({string.Join(", ", policy.RefundReasons.Select(Glossary.RefundReasons.Code))}).", "reason"));
        }

        DateOnly? eventDate = null;
        if (!string.IsNullOrWhiteSpace(body.EventDate))
        {
            if (!IsoDate.TryParse(body.EventDate, out var parsed))
            {
                return (null, Problems.Problem(StatusCodes.Status400BadRequest, "invalid-date", "Invalid date.", $"eventDate '{body.EventDate}' is not yyyy-MM-dd.", "eventDate"));
            }

            eventDate = parsed;
        }

        if (eventDate is null && RefundChecks.NeedsEventDate(reason))
        {
            return (null, Problems.Problem(StatusCodes.Status400BadRequest, RefundCodes.EventDateRequired, "Event date required.",
                $"Reason {Glossary.RefundReasons.Code(reason)} needs eventDate: when the event happened.", "eventDate"));
        }

        for (var i = 0; i < (body.Identities?.Count ?? 0); i++)
        {
            if (!Glossary.SubsidyIdentities.TryParse(body.Identities![i], out _))
            {
                return (null, Problems.Problem(StatusCodes.Status400BadRequest, "unknown-identity", "Unknown subsidy identity.",
                    $"'{body.Identities[i]}' is not a subsidy identity code or label.", $"identities[{i}]"));
            }
        }

        if (TextLimits.First(
                TextLimits.CheckEach("transactionIds", body.TransactionIds, TextLimits.TransactionIds, TextLimits.TransactionId),
                TextLimits.Check("applicant.name", body.Applicant?.Name, TextLimits.Name),
                TextLimits.Check("applicant.relation", body.Applicant?.Relation, TextLimits.Relation),
                TextLimits.Check("applicant.phone", body.Applicant?.Phone, TextLimits.Phone),
                TextLimits.Check("note", body.Note, TextLimits.Note, multiLine: true)) is { } tooLong)
        {
            return (null, tooLong.ToResult());
        }

        return (new RefundApplication
        {
            Policy = policy.Code,
            IdNumber = id.ToString(),
            Reason = reason,
            EventDate = eventDate,
            TransactionIds = [.. body.TransactionIds ?? []],
            Identities = [.. body.Identities ?? []],
            ApplicantName = body.Applicant?.Name,
            ApplicantRelation = body.Applicant?.Relation,
            ApplicantPhone = body.Applicant?.Phone,
            Note = body.Note,
        }, null);
    }

    private static IResult UnknownReason(string? reason) =>
        Problems.Problem(StatusCodes.Status400BadRequest, "unknown-reason", "Unknown refund reason.",
            $"'{reason}' is not a refund reason ({string.Join(", ", Glossary.RefundReasons.Codes)}).", "reason");

    private static IResult NotFound(string id) =>
        Problems.Problem(StatusCodes.Status404NotFound, "refund-not-found", "No such refund case.", $"There is no refund case '{id}'.");

    private static RefundCaseLinks Links(HttpRequest request, string caseId)
    {
        var instance = $"{request.Scheme}://{request.Host}{request.PathBase}{Route}/{Uri.EscapeDataString(caseId)}";
        return new RefundCaseLinks(caseId, instance, instance + "/events/{eventName}", instance + "/terminate?reason={text}");
    }

    private static async Task<Microsoft.DurableTask.Page<OrchestrationMetadata>?> FirstPageAsync(Microsoft.DurableTask.AsyncPageable<OrchestrationMetadata> pages, CancellationToken cancellationToken)
    {
        await foreach (var page in pages.AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return page;
        }

        return null;
    }

    private static async Task<OrchestrationMetadata?> FindAsync(DurableTaskClient durable, string id, CancellationToken cancellationToken)
    {
        if (!id.StartsWith("refund-", StringComparison.Ordinal) || id.Length > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return null;
        }

        var status = await durable.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        return status?.Name == RefundOrchestration.Name ? status : null;
    }

    /// <summary>Whether a case's orchestration still runs; null when it does not exist (yet).</summary>
    private static async Task<bool?> IsRunningAsync(DurableTaskClient durable, string id, CancellationToken cancellationToken)
    {
        var status = await durable.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        return status is null ? null : status.RuntimeStatus is OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended;
    }

    /// <summary>
    /// The case's view: for a completed case what the orchestration returned, else its custom status, or — before it
    /// has first run (still Pending) — the case as opened, built from its input, so a case is visible as soon as it is
    /// accepted. A completed case's custom status cannot be relied on: when a host dies after writing an instance's
    /// history but before its status row, the Azure Storage provider later rebuilds the row from the history alone,
    /// with custom status <c>null</c> (the output survives).
    /// </summary>
    private static RefundCaseView? View(OrchestrationMetadata status)
    {
        if (status.RuntimeStatus == OrchestrationRuntimeStatus.Completed && status.SerializedOutput is { Length: > 0 } output && output != "null")
        {
            return JsonSerializer.Deserialize<RefundCaseView>(output, StatusJson);
        }

        if (status.SerializedCustomStatus is { Length: > 0 } custom && custom != "null")
        {
            return JsonSerializer.Deserialize<RefundCaseView>(custom, StatusJson);
        }

        return status.SerializedInput is { Length: > 0 } input && JsonSerializer.Deserialize<RefundCaseInput>(input, StatusJson) is { } opened
            ? RefundCaseView.From(RefundProcess.Open(opened.CaseId, opened.Application, status.CreatedAt, opened.OpenedBy))
            : null;
    }

    private static IResult WithExtension(IResult result, string name, object value)
    {
        if (result is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem)
        {
            problem.ProblemDetails.Extensions[name] = value;
        }

        return result;
    }
}

/// <summary>Refund services (need the ledger: AddLedger): the refund book on the host's table storage (<c>Refunds:TablePrefix</c> isolates tables).</summary>
public static class RefundServices
{
    public static IServiceCollection AddRefunds(this IServiceCollection services)
    {
        services.AddSingleton(sp => new RefundTables(sp.GetRequiredService<IConfiguration>()[RefundTables.PrefixSetting] ?? ""));
        services.AddSingleton<RefundClaims>();
        services.AddSingleton<IRefundLedger, LedgerRefundAdapter>();
        return services;
    }
}
