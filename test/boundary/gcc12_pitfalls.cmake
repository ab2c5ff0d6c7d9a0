# Flags, in Corio's C++ sources, the GCC 12 coroutine pitfalls a one-line pattern can see (see
# CONTRIBUTING.md): a lambda that captures by copy written inside a co_await expression (GCC 12
# destroys its captures twice), and a braced temporary passed as an argument inside a co_await
# expression. A line the pattern flags wrongly (a braced list that initialises a by-value
# parameter directly, say) says why in a comment containing "gcc12-ok".
set(found "")
foreach(dir lib apps test perf)
  file(GLOB_RECURSE sources ${ROOT}/${dir}/*.cpp ${ROOT}/${dir}/*.hpp)
  foreach(source ${sources})
    file(STRINGS ${source} lines REGEX "co_await")
    foreach(line ${lines})
      if(line MATCHES "gcc12-ok")
        continue()
      endif()
      set(why "")
      # [x], [=], [&, x] ... followed by ( { or mutable: a lambda capturing by copy.
      if(line MATCHES "co_await[^;]*\\[(=|&[ \t]*,|[A-Za-z_])[^]]*\\][ \t]*(\\(|\\{|mutable)" AND NOT line MATCHES "\\[this\\]")
        set(why "a lambda capturing by copy inside co_await: name it first")
      elseif(line MATCHES "co_await[^;]*[(,][ \t]*\\{")
        set(why "a braced temporary argument inside co_await: name it first")
      endif()
      if(why)
        file(RELATIVE_PATH rel ${ROOT} ${source})
        string(STRIP "${line}" line)
        string(APPEND found "\n  ${rel}: ${why}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(found)
  message(FATAL_ERROR "known GCC 12 coroutine pitfalls:${found}")
endif()
message(STATUS "no known GCC 12 coroutine pitfall pattern")
