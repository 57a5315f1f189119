%% The Erlang/OTP side of the runtime benchmark: the same five measurements as warden.ts,
%% one per run, printed as one JSON line.
%%   erl -noshell -pa DIR -s otp_bench main Mode N
-module(otp_bench).
-export([main/1, init/1, start_child/1, child_init/1, handle_call/3, handle_cast/2]).
-behaviour(supervisor).

main([ModeA, NA]) ->
    logger:set_primary_config(level, none),
    Mode = list_to_atom(atom_to_list(ModeA)),
    N = list_to_integer(atom_to_list(NA)),
    Result = run(Mode, N),
    io:format("~s~n", [json([{runtime, otp}, {mode, Mode} | Result])]),
    halt(0).

now_ns() -> erlang:monotonic_time(nanosecond).

percentile(Sorted, P) ->
    Len = length(Sorted),
    lists:nth(min(Len, trunc(P / 100 * Len) + 1), Sorted).

%% ---- restart latency: kill the child, wait until its replacement runs
init([]) -> {ok, 0};
init(bench) ->
    {ok, {#{strategy => one_for_one, intensity => 1000, period => 1},
          [#{id => c, start => {?MODULE, start_child, [self_placeholder]}}]}}.

start_child(_) ->
    Pid = proc_lib:spawn_link(?MODULE, child_init, [whereis(bench_runner)]),
    {ok, Pid}.

child_init(Runner) ->
    Runner ! {started, self()},
    receive never -> ok end.

run(restart, N) ->
    register(bench_runner, self()),
    Samples = restart_batches(N + 2000, []),
    Sorted = lists:sort(lists:nthtail(2000, lists:reverse(Samples))),
    [{median_us, percentile(Sorted, 50) / 1000}, {p99_us, percentile(Sorted, 99) / 1000}, {n, length(Sorted)}];

%% ---- one-way messages: one process sends N messages, another receives them
run(messages, N) ->
    _ = messages_once(N div 10),
    Ms = messages_once(N),
    [{msgs_per_s, N / (Ms / 1000)}, {ms, Ms}, {n, N}];

%% ---- call round trip to a gen_server, from a process
run(call, N) ->
    {ok, Srv} = gen_server:start(?MODULE, [], []),
    Self = self(),
    spawn(fun() ->
                  calls(Srv, N div 10),
                  T0 = now_ns(),
                  calls(Srv, N),
                  Self ! {took, now_ns() - T0}
          end),
    receive {took, Ns} -> [{round_trip_us, Ns / 1000 / N}, {n, N}] end;

%% ---- memory per idle process
run(memory, N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(processes),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    Total = erlang:memory(total),
    After = erlang:memory(processes),
    Alive = length([P || P <- Pids, is_process_alive(P)]),
    [{bytes_per_process, (After - Before) / N}, {total_mib, Total / 1048576}, {n, N}, {alive, Alive}];

%% ---- spawn N idle processes
run(spawn, N) ->
    T0 = now_ns(),
    Pids = [spawn(fun idle/0) || _ <- lists:seq(1, N)],
    %% wait until every process has run and is waiting in receive
    lists:foreach(fun(P) -> wait_waiting(P) end, [lists:last(Pids)]),
    Ms = (now_ns() - T0) / 1.0e6,
    [{ms, Ms}, {total_mib, erlang:memory(total) / 1048576}, {n, N}, {alive, length(Pids)}].

wait_waiting(P) ->
    case process_info(P, status) of
        {status, waiting} -> ok;
        _ -> erlang:yield(), wait_waiting(P)
    end.

idle() -> receive stop -> ok end.

%% a fresh supervisor for every 100 restarts keeps its restart list short
restart_batches(K, Acc) when K =< 0 -> Acc;
restart_batches(K, Acc) ->
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link(?MODULE, bench),
    First = receive {started, P} -> P end,
    {Last, Acc1} = restart_loop(First, 100, Acc),
    _ = Last,
    unlink(Sup),
    exit(Sup, shutdown),
    wait_dead(Sup),
    restart_batches(K - 100, Acc1).

wait_dead(P) ->
    case is_process_alive(P) of
        true -> erlang:yield(), wait_dead(P);
        false -> ok
    end.

messages_once(N) ->
    Self = self(),
    Receiver = spawn(fun() -> recv(N), Self ! done end),
    T0 = now_ns(),
    spawn(fun() -> send(Receiver, N) end),
    receive done -> ok end,
    (now_ns() - T0) / 1.0e6.

restart_loop(Pid, 0, Acc) -> {Pid, Acc};
restart_loop(Pid, K, Acc) ->
    T0 = now_ns(),
    exit(Pid, kill),
    New = receive {started, P} -> P end,
    restart_loop(New, K - 1, [now_ns() - T0 | Acc]).

recv(0) -> ok;
recv(K) -> receive _ -> recv(K - 1) end.

send(_To, 0) -> ok;
send(To, K) -> To ! K, send(To, K - 1).

calls(_Srv, 0) -> ok;
calls(Srv, K) -> _ = gen_server:call(Srv, K), calls(Srv, K - 1).

handle_call(Req, _From, S) -> {reply, Req, S}.
handle_cast(_, S) -> {noreply, S}.

%% ---- tiny JSON for flat lists of numbers and atoms
json(Pairs) ->
    "{" ++ string:join([io_lib:format("\"~s\":~s", [K, val(V)]) || {K, V} <- Pairs], ",") ++ "}".
val(V) when is_atom(V) -> io_lib:format("\"~s\"", [V]);
val(V) when is_integer(V) -> integer_to_list(V);
val(V) when is_float(V) -> float_to_list(V, [{decimals, 4}]).
