// The optimizer layer: every optimizer, the schedulers, gradient clipping and minimize().
#pragma once

#include "clip.hpp"
#include "line_search.hpp"
#include "lr_scheduler.hpp"
#include "minimize.hpp"
#include "one_cycle_lr.hpp"
#include "optimizer.hpp"
#include "optimizers.hpp"
