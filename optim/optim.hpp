// The optimizer layer: every optimizer, the schedulers, gradient clipping and minimize().
#pragma once

#include "adagrad.hpp"
#include "adam.hpp"
#include "adamw.hpp"
#include "clip.hpp"
#include "lbfgs.hpp"
#include "line_search.hpp"
#include "lr_scheduler.hpp"
#include "minimize.hpp"
#include "optimizer.hpp"
#include "rmsprop.hpp"
#include "sgd.hpp"
